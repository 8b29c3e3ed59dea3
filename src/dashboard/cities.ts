import { BUILT_IN_CITIES, parseCityConfigs, type City } from '../generate/cities.js';

/**
 * The dashboard's view of the city catalogue (the generator's built-in cities plus any from the
 * config file): names, centres and radii for the map outline, time zones for "today". Cities that
 * only appear in the metrics still work; they get UTC and no outline.
 */

export interface DashboardCity {
  code: string;
  name: string;
  lat: number | null;
  lon: number | null;
  radiusKm: number | null;
  currency: string | null;
  timeZone: string;
}

export const CITY_CODE = /^[a-z][a-z0-9_]{1,15}$/;

export interface Catalogue {
  cities: DashboardCity[];
  /** Why the config file's cities were left out, when they were. */
  problem?: string;
}

export function cityCatalogue(configCities: readonly unknown[] = []): Catalogue {
  const byCode = new Map<string, DashboardCity>();
  for (const city of BUILT_IN_CITIES) byCode.set(city.code, fromCity(city));
  try {
    // Config-file cities override built-ins of the same code, as they do for the generator.
    for (const city of parseCityConfigs(configCities)) byCode.set(city.code, fromCity(city));
  } catch (error) {
    return { cities: [...byCode.values()], problem: (error as Error).message };
  }
  return { cities: [...byCode.values()] };
}

function fromCity(city: City): DashboardCity {
  return {
    code: city.code,
    name: city.name,
    lat: city.center.lat,
    lon: city.center.lon,
    radiusKm: city.radiusKm,
    currency: city.currency,
    timeZone: city.timeZone,
  };
}
