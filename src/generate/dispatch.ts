import type { Zones } from './geo.js';

export interface Placed {
  lat: number;
  lon: number;
  /** The zone (see Zones) of (lat, lon); kept in step by whoever moves the object. */
  zone: number;
}

/** How far dispatch looks: 8 rings of res-8 cells reach ~6 km from the pickup. */
export const DISPATCH_MAX_RING = 8;

/**
 * Idle drivers by zone, so "nearest available driver" looks at a few neighbouring zones instead of
 * the whole fleet. A driver is in the index exactly while it may be dispatched: taking it out at
 * assignment is what guarantees it never gets two rides at once.
 */
export class AvailableDrivers<D extends Placed> {
  private readonly byZone: (Set<D> | undefined)[] = [];
  private count = 0;

  constructor(private readonly zones: Zones) {}

  get size(): number {
    return this.count;
  }

  add(driver: D): void {
    while (this.byZone.length <= driver.zone) this.byZone.push(undefined);
    let set = this.byZone[driver.zone];
    if (!set) {
      set = new Set();
      this.byZone[driver.zone] = set;
    }
    if (!set.has(driver)) {
      set.add(driver);
      this.count++;
    }
  }

  remove(driver: D): boolean {
    if (this.byZone[driver.zone]?.delete(driver)) {
      this.count--;
      return true;
    }
    return false;
  }

  has(driver: D): boolean {
    return this.byZone[driver.zone]?.has(driver) ?? false;
  }

  /** Moves a driver to a new position, re-filing it if it is indexed and its zone changed. */
  move(driver: D, lat: number, lon: number, zone: number): void {
    if (zone !== driver.zone) {
      const indexed = this.remove(driver);
      driver.zone = zone;
      if (indexed) this.add(driver);
    }
    driver.lat = lat;
    driver.lon = lon;
  }

  countNear(zone: number, maxRing: number): number {
    const { members, starts } = this.zones.rings(zone, maxRing);
    const end = starts[maxRing + 1] ?? members.length;
    let total = 0;
    for (let i = 0; i < end; i++) total += this.byZone[members[i]!]?.size ?? 0;
    return total;
  }

  /**
   * The closest indexed driver to (lat, lon) within DISPATCH_MAX_RING rings of `zone`. Hex rings are
   * not circles, so after the first ring with a candidate one more ring is checked.
   */
  nearest(lat: number, lon: number, zone: number): D | undefined {
    // The near rings first; the far ones only if nobody is found close by.
    let { members, starts } = this.zones.rings(zone, 2);
    const cosLat = Math.cos((lat * Math.PI) / 180);
    let best: D | undefined;
    let bestDistance = Infinity;
    let lastRing = DISPATCH_MAX_RING;
    for (let k = 0; k <= lastRing; k++) {
      if (k > starts.length - 2) {
        ({ members, starts } = this.zones.rings(zone, DISPATCH_MAX_RING));
        if (k > starts.length - 2) break;
      }
      const end = starts[k + 1]!;
      for (let i = starts[k]!; i < end; i++) {
        const set = this.byZone[members[i]!];
        if (!set) continue;
        for (const driver of set) {
          const dy = driver.lat - lat;
          const dx = (driver.lon - lon) * cosLat;
          const d = dx * dx + dy * dy;
          if (d < bestDistance) {
            bestDistance = d;
            best = driver;
          }
        }
      }
      if (best && lastRing > k + 1) lastRing = k + 1;
    }
    return best;
  }
}
