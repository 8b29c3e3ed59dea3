import { isFakerLocale } from './entity-schema.js';

/** Prices of one city, in its currency. Fares are computed from these (see fares.ts). */
export interface RateCard {
  base: number;
  perKm: number;
  perMinute: number;
  minimum: number;
}

export interface City {
  /** Short code used in events and ids, e.g. nyc (matches common.schema.json#CityCode). */
  code: string;
  name: string;
  center: { lat: number; lon: number };
  /** Requests and drivers stay within this distance of the centre. */
  radiusKm: number;
  /** IANA zone: the demand curve follows local time. */
  timeZone: string;
  /** Faker locale for names, phone numbers and e-mail addresses. */
  locale: string;
  /** ISO 4217 code of fares. */
  currency: string;
  rateCard: RateCard;
  /** Relative size: this city's share of demand and fleet among the selected cities. */
  weight: number;
  /** Typical door-to-door speed in traffic, km/h. */
  avgSpeedKmh: number;
  /** Licence plates: `#` a digit, `?` a letter, `*` either; other characters are kept. */
  platePattern: string;
  /** Share of rides paid cash. */
  cashShare: number;
}

export const BUILT_IN_CITIES: readonly City[] = [
  {
    code: 'nyc', name: 'New York', center: { lat: 40.758, lon: -73.9855 }, radiusKm: 16,
    timeZone: 'America/New_York', locale: 'en_US', currency: 'USD',
    rateCard: { base: 2.55, perKm: 1.09, perMinute: 0.35, minimum: 8.0 },
    weight: 1.0, avgSpeedKmh: 18, platePattern: '???-####', cashShare: 0.05,
  },
  {
    code: 'lon', name: 'London', center: { lat: 51.5072, lon: -0.1276 }, radiusKm: 18,
    timeZone: 'Europe/London', locale: 'en_GB', currency: 'GBP',
    rateCard: { base: 2.5, perKm: 1.25, perMinute: 0.2, minimum: 6.0 },
    weight: 0.9, avgSpeedKmh: 17, platePattern: '??## ???', cashShare: 0.05,
  },
  {
    code: 'par', name: 'Paris', center: { lat: 48.8566, lon: 2.3522 }, radiusKm: 12,
    timeZone: 'Europe/Paris', locale: 'fr', currency: 'EUR',
    rateCard: { base: 2.5, perKm: 1.05, perMinute: 0.3, minimum: 7.0 },
    weight: 0.6, avgSpeedKmh: 17, platePattern: '??-###-??', cashShare: 0.08,
  },
  {
    code: 'ber', name: 'Berlin', center: { lat: 52.52, lon: 13.405 }, radiusKm: 15,
    timeZone: 'Europe/Berlin', locale: 'de', currency: 'EUR',
    rateCard: { base: 2.0, perKm: 1.25, perMinute: 0.25, minimum: 6.5 },
    weight: 0.45, avgSpeedKmh: 24, platePattern: 'B-?? ####', cashShare: 0.15,
  },
  {
    code: 'sao', name: 'São Paulo', center: { lat: -23.5505, lon: -46.6333 }, radiusKm: 20,
    timeZone: 'America/Sao_Paulo', locale: 'pt_BR', currency: 'BRL',
    rateCard: { base: 2.5, perKm: 1.4, perMinute: 0.26, minimum: 7.0 },
    weight: 0.8, avgSpeedKmh: 19, platePattern: '???#?##', cashShare: 0.25,
  },
  {
    code: 'tyo', name: 'Tokyo', center: { lat: 35.6812, lon: 139.7671 }, radiusKm: 18,
    timeZone: 'Asia/Tokyo', locale: 'ja', currency: 'JPY',
    rateCard: { base: 500, perKm: 320, perMinute: 60, minimum: 700 },
    weight: 0.7, avgSpeedKmh: 20, platePattern: '品川 ### ? ##-##', cashShare: 0.2,
  },
  {
    code: 'mex', name: 'Mexico City', center: { lat: 19.4326, lon: -99.1332 }, radiusKm: 18,
    timeZone: 'America/Mexico_City', locale: 'es_MX', currency: 'MXN',
    rateCard: { base: 8.0, perKm: 6.5, perMinute: 1.6, minimum: 45.0 },
    weight: 0.7, avgSpeedKmh: 16, platePattern: '???-###-?', cashShare: 0.3,
  },
  {
    code: 'syd', name: 'Sydney', center: { lat: -33.8688, lon: 151.2093 }, radiusKm: 20,
    timeZone: 'Australia/Sydney', locale: 'en_AU', currency: 'AUD',
    rateCard: { base: 2.5, perKm: 1.45, perMinute: 0.42, minimum: 10.0 },
    weight: 0.45, avgSpeedKmh: 28, platePattern: '???-##?', cashShare: 0.05,
  },
];

/** A problem in a city definition from the config file, phrased for the user. */
export class CityConfigError extends Error {
  override name = 'CityConfigError';
}

const CODE_PATTERN = /^[a-z][a-z0-9_]{1,15}$/;

/** The shape of one entry of the config file's `cities`, documented for users. */
export const CITY_CONFIG_EXAMPLE = {
  code: 'ams',
  name: 'Amsterdam',
  center: { lat: 52.3676, lon: 4.9041 },
  radiusKm: 10,
  timeZone: 'Europe/Amsterdam',
  locale: 'nl',
  currency: 'EUR',
  rateCard: { base: 3.0, perKm: 1.2, perMinute: 0.3, minimum: 7.5 },
  weight: 0.4,
  avgSpeedKmh: 22,
  platePattern: '??-###-?',
  cashShare: 0.05,
};

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Validates the config file's `cities` entries (shape: CITY_CONFIG_EXAMPLE) into cities. */
export function parseCityConfigs(raw: readonly unknown[]): City[] {
  return raw.map((entry, index) => parseCityConfig(entry, `cities[${index}]`));
}

function parseCityConfig(entry: unknown, where: string): City {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new CityConfigError(`${where}: expected an object like ${JSON.stringify(CITY_CONFIG_EXAMPLE)}`);
  }
  const obj = entry as Record<string, unknown>;
  const known = new Set(Object.keys(CITY_CONFIG_EXAMPLE));
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) throw new CityConfigError(`${where}: unknown field "${key}" (known: ${[...known].join(', ')})`);
  }
  const num = (value: unknown, field: string, min: number, max: number): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new CityConfigError(`${where}.${field}: expected a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const str = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || value.length === 0) throw new CityConfigError(`${where}.${field}: expected a non-empty string`);
    return value;
  };
  const optional = <T>(value: unknown, fallback: T, parse: (v: unknown) => T): T => (value === undefined ? fallback : parse(value));

  const code = str(obj.code, 'code');
  if (!CODE_PATTERN.test(code)) throw new CityConfigError(`${where}.code: "${code}" must match ${CODE_PATTERN.source} (e.g. ams)`);
  const at = `${where} (${code})`;
  where = at;
  const center = obj.center as Record<string, unknown> | undefined;
  if (typeof center !== 'object' || center === null) throw new CityConfigError(`${where}.center: expected {"lat": …, "lon": …}`);
  const timeZone = str(obj.timeZone, 'timeZone');
  if (!isValidTimeZone(timeZone)) throw new CityConfigError(`${where}.timeZone: "${timeZone}" is not an IANA time zone (e.g. Europe/Amsterdam)`);
  const locale = str(obj.locale, 'locale');
  if (!isFakerLocale(locale)) throw new CityConfigError(`${where}.locale: "${locale}" is not a faker locale (e.g. en_US, nl, pt_BR)`);
  const currency = str(obj.currency, 'currency');
  if (!/^[A-Z]{3}$/.test(currency)) throw new CityConfigError(`${where}.currency: "${currency}" is not an ISO 4217 code (e.g. EUR)`);
  const card = obj.rateCard as Record<string, unknown> | undefined;
  if (typeof card !== 'object' || card === null) {
    throw new CityConfigError(`${where}.rateCard: expected {"base", "perKm", "perMinute", "minimum"}`);
  }
  const money = (value: unknown, field: string): number => num(value, `rateCard.${field}`, 0, 1e6);
  return {
    code,
    name: optional(obj.name, code, (v) => str(v, 'name')),
    center: { lat: num(center.lat, 'center.lat', -85, 85), lon: num(center.lon, 'center.lon', -180, 180) },
    radiusKm: num(obj.radiusKm, 'radiusKm', 1, 100),
    timeZone,
    locale,
    currency,
    rateCard: {
      base: money(card.base, 'base'),
      perKm: money(card.perKm, 'perKm'),
      perMinute: money(card.perMinute, 'perMinute'),
      minimum: money(card.minimum, 'minimum'),
    },
    weight: optional(obj.weight, 0.5, (v) => num(v, 'weight', 0.01, 100)),
    avgSpeedKmh: optional(obj.avgSpeedKmh, 22, (v) => num(v, 'avgSpeedKmh', 5, 120)),
    platePattern: optional(obj.platePattern, '???-####', (v) => str(v, 'platePattern')),
    cashShare: optional(obj.cashShare, 0.1, (v) => num(v, 'cashShare', 0, 1)),
  };
}

/**
 * The cities of a run: built-ins plus the config file's (a config city with a built-in's code
 * replaces it), narrowed to `codes` when given.
 */
export function selectCities(codes: readonly string[] | undefined, custom: readonly City[] = []): City[] {
  const byCode = new Map<string, City>();
  for (const city of [...BUILT_IN_CITIES, ...custom]) byCode.set(city.code, city);
  const selected = codes && codes.length > 0 ? codes : [...byCode.keys()];
  const cities = selected.map((code) => {
    const city = byCode.get(code);
    if (!city) throw new CityConfigError(`unknown city "${code}" (known: ${[...byCode.keys()].join(', ')}; add others in the config file's "cities")`);
    return city;
  });
  const tags = new Map<string, string>();
  for (const city of cities) {
    const tag = cityIdTag(city.code);
    const other = tags.get(tag);
    if (other !== undefined && other !== city.code) {
      throw new CityConfigError(`cities "${other}" and "${city.code}" differ only by underscores; their ids would collide`);
    }
    tags.set(tag, city.code);
  }
  return [...new Set(cities)];
}

/**
 * The part of entity ids naming the city: its code without underscores (ids allow [0-9a-z] only),
 * prefixed by that length in base 36 so "nyc"+"1k" never reads as "nyc1"+"k".
 */
export function cityIdTag(code: string): string {
  const bare = code.replaceAll('_', '');
  return bare.length.toString(36) + bare;
}
