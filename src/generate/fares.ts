import type { Fare } from '../contract/generated/ride_events.js';
import type { RateCard } from './cities.js';

/**
 * Half-up rounding to cents. The epsilon keeps values like 1.005 (stored as 1.00499…) rounding the
 * way a person computing the fare by hand would; downstream checks should use the same rule.
 */
export function round2(value: number): number {
  return Math.round((value + Number.EPSILON * Math.max(1, Math.abs(value))) * 100) / 100;
}

/**
 * The fare of a completed ride, exactly as ride_events.schema.json#Fare describes it:
 * base = card.base, distance = round2(perKm × distance_km), time = round2(perMinute × duration_s / 60),
 * total = max(card.minimum, round2((base + distance + time) × surge)).
 */
export function computeFare(card: RateCard, currency: string, distanceKm: number, durationS: number, surge: number): Fare {
  const base = round2(card.base);
  const distance = round2(card.perKm * distanceKm);
  const time = round2((card.perMinute * durationS) / 60);
  const total = Math.max(round2(card.minimum), round2((base + distance + time) * surge));
  return { base, distance, time, surge_multiplier: surge, total, currency };
}
