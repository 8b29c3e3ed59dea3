/**
 * City code → IANA time zone, and the local calendar fields of an instant in that zone.
 * The city list is a parameter (the generator's cities plus any from the config file), so this
 * module knows no city by itself.
 */
export interface CityTimeZone {
  code: string;
  timeZone: string;
}

export interface LocalTime {
  /** YYYY-MM-DD in the zone. */
  date: string;
  hour: number;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
}

export const FALLBACK_TIME_ZONE = 'UTC';

export type TimeZoneLookup = (city: string) => string;

export function timeZoneLookup(cities: readonly CityTimeZone[]): TimeZoneLookup {
  const zones = new Map(cities.map((c) => [c.code, c.timeZone]));
  // An unknown city still gets a record: UTC is stated in its time_zone field, so nothing is hidden.
  return (city) => zones.get(city) ?? FALLBACK_TIME_ZONE;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // Building a DateTimeFormat costs far more than using one: one per zone, kept.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
      weekday: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function localTime(epochMs: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(epochMs)) parts[part.type] = part.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour),
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 1,
  };
}
