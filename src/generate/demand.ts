/**
 * When people ride: relative demand by local hour, each profile normalised to a mean of 1 over its
 * day so a city's average request rate is its base rate whatever the weekday.
 */

// Commuter peaks on weekdays; late, nightlife-heavy weekends. Index = local hour.
const WEEKDAY = [0.35, 0.22, 0.15, 0.12, 0.15, 0.35, 0.7, 1.3, 1.6, 1.25, 0.95, 0.95, 1.1, 1.05, 0.95, 1.0, 1.2, 1.6, 1.75, 1.45, 1.15, 1.0, 0.85, 0.6];
const WEEKEND = [0.95, 0.9, 0.75, 0.5, 0.3, 0.25, 0.3, 0.45, 0.6, 0.8, 1.0, 1.1, 1.2, 1.2, 1.15, 1.1, 1.1, 1.2, 1.3, 1.35, 1.35, 1.4, 1.45, 1.3];

const normalise = (values: number[]): number[] => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.map((v) => v / mean);
};
const WEEKDAY_CURVE = normalise(WEEKDAY);
const WEEKEND_CURVE = normalise(WEEKEND);

/** Demand multiplier at a local time (hours since local midnight, fractional) on a local weekday (0 = Sunday). */
export function demandFactor(localHour: number, weekday: number): number {
  const curve = weekday === 0 || weekday === 6 ? WEEKEND_CURVE : WEEKDAY_CURVE;
  const h = Math.floor(localHour);
  const next = (h + 1) % 24;
  const frac = localHour - h;
  // Interpolating between hours keeps the Poisson arrival rate free of hourly steps.
  return (curve[h] ?? 1) * (1 - frac) + (curve[next] ?? 1) * frac;
}

/**
 * Drivers online follow demand, but flatter: many keep regular shifts, so supply lags in the peaks
 * (utilisation and surge rise) and exceeds demand at night. Mean over a day ≈ 1.
 */
export function supplyFactor(localHour: number, weekday: number): number {
  return 0.35 + 0.65 * demandFactor(localHour, weekday);
}

/** Trips are slower in rush hours and faster at night. */
export function trafficSpeedFactor(localHour: number, weekday: number): number {
  const d = demandFactor(localHour, weekday);
  return Math.min(1.35, Math.max(0.7, 1.3 - 0.3 * d));
}

export interface LocalTime {
  /** Hours since local midnight, fractional. */
  hour: number;
  /** 0 = Sunday. */
  weekday: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Converts instants to a zone's local time. Offsets only change at DST switches, which happen on
 * whole UTC hours, so the offset is looked up (slow, via Intl) once per UTC hour and reused.
 */
export class LocalClock {
  private readonly format: Intl.DateTimeFormat;
  private hourStart = Number.NaN;
  private offsetMs = 0;

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
  }

  offsetAt(utcMs: number): number {
    const hourStart = utcMs - (((utcMs % HOUR_MS) + HOUR_MS) % HOUR_MS);
    if (hourStart !== this.hourStart) {
      this.hourStart = hourStart;
      const parts: Record<string, number> = {};
      for (const part of this.format.formatToParts(hourStart)) {
        if (part.type !== 'literal') parts[part.type] = Number(part.value);
      }
      const asUtc = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0);
      this.offsetMs = asUtc - hourStart;
    }
    return this.offsetMs;
  }

  at(utcMs: number): LocalTime {
    const local = utcMs + this.offsetAt(utcMs);
    const dayMs = ((local % DAY_MS) + DAY_MS) % DAY_MS;
    const days = Math.floor(local / DAY_MS);
    // 1970-01-01 was a Thursday (4).
    return { hour: dayMs / HOUR_MS, weekday: (((days + 4) % 7) + 7) % 7 };
  }
}
