/**
 * Where every consumed record went. The books balance exactly:
 *
 *   consumed = enriched + dlq + duplicates + late + expired + open
 *
 * - enriched:   ride events absorbed into a ride that has ended (counted when its enriched record
 *               is written, all of the ride's events at once), plus every vehicle and user event
 *               that passed cleaning (they are consumed into driver counts and need no join).
 * - dlq:        records written to events_dlq: not JSON, schema failures, impossible values,
 *               lifecycle steps out of order.
 * - duplicates: events whose event_id was already seen (dropped, not written anywhere).
 * - late:       events whose window was already final, written to events_late.
 * - expired:    ride events of rides given up after the ride timeout without an end (their
 *               source records stay in ride_events; normally zero).
 * - open:       ride events held in rides that have not ended yet (state, restored on restart).
 *
 * The counters live in each input partition's state and go through the changelog with it, so
 * they survive restarts and cover the partition's whole history in this consumer group.
 */
export interface Counters {
  consumed: number;
  enriched: number;
  dlq: number;
  duplicates: number;
  late: number;
  expired: number;
  open: number;
}

export function zeroCounters(): Counters {
  return { consumed: 0, enriched: 0, dlq: 0, duplicates: 0, late: 0, expired: 0, open: 0 };
}

export function addCounters(target: Counters, add: Counters): Counters {
  for (const key of Object.keys(target) as (keyof Counters)[]) target[key] += add[key];
  return target;
}

export function sumCounters(all: Iterable<Counters>): Counters {
  const total = zeroCounters();
  for (const counters of all) addCounters(total, counters);
  return total;
}

/** consumed minus everything accounted for: zero when the books balance. */
export function unaccounted(c: Counters): number {
  return c.consumed - (c.enriched + c.dlq + c.duplicates + c.late + c.expired + c.open);
}

export function formatCounters(c: Counters): string {
  const balance = unaccounted(c);
  return (
    `in ${c.consumed} = enriched ${c.enriched} + dlq ${c.dlq} + duplicates ${c.duplicates} + late ${c.late}` +
    `${c.expired > 0 ? ` + expired ${c.expired}` : ''} + open ${c.open}` +
    (balance === 0 ? '' : `  (UNACCOUNTED ${balance})`)
  );
}
