/**
 * Event-time tumbling windows and the additive aggregates kept in them.
 *
 * Windows are [start, start + size), aligned to the epoch, so every partition and every process
 * cuts time at the same instants and partial windows can be merged by their start alone.
 * Aggregates are sums and counts (plus the list of fares, for the p90), so the partials that
 * different partitions hold for one window merge by addition.
 */
export function windowStart(timeMs: number, sizeMs: number): number {
  return Math.floor(timeMs / sizeMs) * sizeMs;
}

/** Every window ending at or before the returned instant has been passed by `clockMs`. */
export function passedThrough(clockMs: number, sizeMs: number): number {
  return windowStart(clockMs, sizeMs);
}

/**
 * Late means: the window the event belongs to has ended at or before the watermark, so it is final.
 * windowEnd(t) <= watermark  ⇔  t < windowStart(watermark).
 */
export function isLate(eventTimeMs: number, watermarkMs: number | null, sizeMs: number): boolean {
  return watermarkMs !== null && eventTimeMs < windowStart(watermarkMs, sizeMs);
}

export interface WindowAggregate {
  requested: number;
  completed: number;
  cancelled: number;
  revenue: number;
  /** Fare totals of completed rides, kept for the p90; a one-minute window holds few. */
  fares: number[];
  currency: string | null;
  waitSumS: number;
  waitCount: number;
  tripSumS: number;
  tripCount: number;
  surgeSum: number;
  surgeCount: number;
  driversOnline: number;
  driversOnTrip: number;
}

export function emptyAggregate(): WindowAggregate {
  return {
    requested: 0, completed: 0, cancelled: 0, revenue: 0, fares: [], currency: null,
    waitSumS: 0, waitCount: 0, tripSumS: 0, tripCount: 0, surgeSum: 0, surgeCount: 0,
    driversOnline: 0, driversOnTrip: 0,
  };
}

export function isEmptyAggregate(a: WindowAggregate): boolean {
  return a.requested === 0 && a.completed === 0 && a.cancelled === 0 && a.waitCount === 0 && a.driversOnline === 0 && a.driversOnTrip === 0;
}

/**
 * An aggregate as a window partial carries it: only the fields that are not zero, null or empty.
 * Most zones of a vehicle partition count drivers and nothing else, and partials are written,
 * read and kept in the merger's changelog whole.
 */
export type SparseAggregate = Partial<WindowAggregate>;

const AGGREGATE_FIELDS = Object.keys(emptyAggregate()) as (keyof WindowAggregate)[];

export function sparseAggregate(a: WindowAggregate): SparseAggregate {
  const out: Record<string, unknown> = {};
  for (const field of AGGREGATE_FIELDS) {
    const value = a[field];
    if (value === 0 || value === null || (Array.isArray(value) && value.length === 0)) continue;
    out[field] = value;
  }
  return out as SparseAggregate;
}

/** Adds `add` (whole or sparse: an absent field is zero) into `target`. */
export function mergeInto(target: WindowAggregate, add: SparseAggregate): WindowAggregate {
  target.requested += add.requested ?? 0;
  target.completed += add.completed ?? 0;
  target.cancelled += add.cancelled ?? 0;
  target.revenue += add.revenue ?? 0;
  if (add.fares) for (const fare of add.fares) target.fares.push(fare);
  if (add.currency != null) target.currency ??= add.currency;
  target.waitSumS += add.waitSumS ?? 0;
  target.waitCount += add.waitCount ?? 0;
  target.tripSumS += add.tripSumS ?? 0;
  target.tripCount += add.tripCount ?? 0;
  target.surgeSum += add.surgeSum ?? 0;
  target.surgeCount += add.surgeCount ?? 0;
  target.driversOnline += add.driversOnline ?? 0;
  target.driversOnTrip += add.driversOnTrip ?? 0;
  return target;
}

/** What one lifecycle step adds to the window of its own event time. */
export type Contribution =
  | { step: 'requested' }
  | { step: 'arrived'; waitS: number }
  | { step: 'completed'; fare: number; currency: string; tripS: number | null; surge: number }
  | { step: 'cancelled' };

export function contribute(target: WindowAggregate, c: Contribution): void {
  switch (c.step) {
    case 'requested':
      target.requested += 1;
      return;
    case 'arrived':
      target.waitSumS += c.waitS;
      target.waitCount += 1;
      return;
    case 'completed':
      target.completed += 1;
      target.revenue += c.fare;
      target.fares.push(c.fare);
      target.currency ??= c.currency;
      if (c.tripS !== null) {
        target.tripSumS += c.tripS;
        target.tripCount += 1;
      }
      target.surgeSum += c.surge;
      target.surgeCount += 1;
      return;
    case 'cancelled':
      target.cancelled += 1;
      return;
  }
}

/** A city's share of one window on one partition: the city total and its H3 zones. */
export interface CityWindow {
  total: WindowAggregate;
  zones: Map<string, WindowAggregate>;
}

export function emptyCityWindow(): CityWindow {
  return { total: emptyAggregate(), zones: new Map() };
}

export function addToCityWindow(cell: CityWindow, zone: string | null, c: Contribution): void {
  contribute(cell.total, c);
  if (zone === null) return;
  let zoneAggregate = cell.zones.get(zone);
  if (!zoneAggregate) {
    zoneAggregate = emptyAggregate();
    cell.zones.set(zone, zoneAggregate);
  }
  contribute(zoneAggregate, c);
}

export interface CityWindowJson {
  total: WindowAggregate;
  zones: Record<string, WindowAggregate>;
}

export function cityWindowToJson(cell: CityWindow): CityWindowJson {
  return { total: cell.total, zones: Object.fromEntries(cell.zones) };
}

export function cityWindowFromJson(json: CityWindowJson): CityWindow {
  return { total: json.total, zones: new Map(Object.entries(json.zones)) };
}
