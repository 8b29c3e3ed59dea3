import type { Zones } from './geo.js';

/** Highest multiplier quoted; real platforms cap surge too. */
export const MAX_SURGE = 3;
/** Demand counts decay with this time constant: roughly "requests in the last 10 minutes". */
export const DEMAND_WINDOW_MS = 10 * 60_000;
/** A zone's neighbourhood for surge: the zone and its ring of six neighbours (~5 km²). */
export const SURGE_RING = 1;

/**
 * Surge from local demand over local supply: recent requests per available driver. Below one
 * request per idle driver there is no surge; above, the price rises by half the excess,
 * quoted in steps of 0.1 like a rider's app shows it.
 */
export function surgeMultiplier(recentRequests: number, availableDrivers: number): number {
  const ratio = recentRequests / Math.max(1, availableDrivers);
  if (ratio <= 1) return 1;
  return Math.min(MAX_SURGE, Math.round((1 + 0.5 * (ratio - 1)) * 10) / 10);
}

/** Exponentially decayed request counts per zone, updated lazily when read or written. */
export class ZoneDemand {
  private readonly value: number[] = [];
  private readonly at: number[] = [];

  constructor(private readonly zones: Zones, private readonly windowMs = DEMAND_WINDOW_MS) {}

  record(zone: number, atMs: number): void {
    // Grown densely (zone ids are small and consecutive) so the arrays stay fast, packed elements.
    while (this.value.length <= zone) {
      this.value.push(0);
      this.at.push(0);
    }
    this.value[zone] = this.value[zone]! * Math.exp(-(atMs - this.at[zone]!) / this.windowMs) + 1;
    this.at[zone] = atMs;
  }

  /** Decayed requests in the zone and its neighbours. */
  near(zone: number, atMs: number): number {
    const { members, starts } = this.zones.rings(zone, SURGE_RING);
    const end = starts[SURGE_RING + 1] ?? members.length;
    let total = 0;
    for (let i = 0; i < end; i++) {
      const z = members[i]!;
      const value = this.value[z];
      if (value) total += value * Math.exp(-(atMs - this.at[z]!) / this.windowMs);
    }
    return total;
  }
}
