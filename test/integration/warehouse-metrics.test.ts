import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EnrichedRide } from '../../src/contract/generated/enriched_rides.js';
import type { RideMetrics } from '../../src/contract/generated/ride_metrics.js';
import { contribute, emptyAggregate, windowStart, type WindowAggregate } from '../../src/enrich/windows.js';
import { toRideMetrics } from '../../src/enrich/metrics.js';
import { loadMigrations, migrate } from '../../src/warehouse/migrations.js';
import { loadFile } from '../../src/warehouse/load.js';
import { PgSession } from '../../src/warehouse/session.js';
import { cityMetrics1m, RIDE_DERIVED_METRIC_FIELDS } from '../../src/warehouse/metrics.js';
import { buildWorld, enrichedRide, toJsonLines } from '../unit/warehouse/fixtures.js';
import { createTestDatabase, withClient } from '../helpers/postgres.js';

/**
 * Batch equals stream, on hand-made rides: the per-minute city metrics the warehouse recomputes
 * from fct_rides must equal what enrich's own window code makes of the same rides.
 */
const T0 = Date.parse('2026-03-02T12:00:00.000Z');
const MIN = 60_000;

function handMadeRides(): EnrichedRide[] {
  const rides: EnrichedRide[] = [];
  const base = { city: 'nyc', customer: 'cus_1', pickup: { lat: 40.7, lon: -74 }, dropoff: { lat: 40.75, lon: -73.98 }, timeZone: 'America/New_York' };
  // Eleven completions in minute 10 with distinct fares: nearest-rank p90 is the 10th (not an interpolation).
  const fares = [8, 9.5, 10.25, 11, 12.4, 13, 14.99, 15.5, 17.75, 21.3, 40];
  fares.forEach((total, i) => {
    const requested = T0 + i * 7_000;
    const assigned = requested + 5_000;
    const arrived = requested + 3 * MIN + i * 1_500;
    const started = arrived + 30_000;
    const ended = T0 + 10 * MIN + i * 3_000;
    const surge = i % 3 === 0 ? 1.25 : 1;
    rides.push(enrichedRide({
      ...base, rideId: `ride_p${i}`, driver: `drv_${i}`, vehicle: `veh_${i}`, requested, assigned, arrived, started, ended,
      status: 'completed', surge, fare: { base: 2, distance: 3, time: 1, total, currency: 'USD' }, distanceKm: 4.2,
    }));
  });
  // Cancellations in minutes 10 and 11, one after a driver had arrived (its wait counts where the arrival was).
  rides.push(enrichedRide({
    ...base, rideId: 'ride_c1', driver: null, vehicle: null, requested: T0 + 9 * MIN, assigned: null, arrived: null, started: null,
    ended: T0 + 10 * MIN + 59_999, status: 'cancelled', surge: null, fare: null, distanceKm: 3,
  }));
  rides.push(enrichedRide({
    ...base, rideId: 'ride_c2', driver: 'drv_1', vehicle: 'veh_1', requested: T0 + 9 * MIN + 10_000, assigned: T0 + 9 * MIN + 20_000,
    arrived: T0 + 11 * MIN + 1, started: null, ended: T0 + 11 * MIN + 30_000, status: 'cancelled', surge: 1.5, fare: null, distanceKm: 3,
  }));
  // Another city, same minutes: windows are per city.
  rides.push(enrichedRide({
    ...base, city: 'lon', timeZone: 'Europe/London', rideId: 'ride_l1', driver: 'drv_9', vehicle: 'veh_9', requested: T0 + 2 * MIN,
    assigned: T0 + 2 * MIN + 1_000, arrived: T0 + 5 * MIN, started: T0 + 6 * MIN, ended: T0 + 10 * MIN + 5_000, status: 'completed', surge: 1.1,
    fare: { base: 2, distance: 5, time: 2, total: 9.9, currency: 'GBP' }, distanceKm: 5,
  }));
  return rides;
}

/** What enrich's windows make of finished rides: each lifecycle step adds to its own minute. */
function streamMetrics(rides: readonly EnrichedRide[]): RideMetrics[] {
  const windows = new Map<string, { city: string; start: number; agg: WindowAggregate }>();
  const add = (city: string, iso: string, apply: (a: WindowAggregate) => void): void => {
    const start = windowStart(Date.parse(iso), MIN);
    const key = `${city}|${start}`;
    let w = windows.get(key);
    if (!w) windows.set(key, (w = { city, start, agg: emptyAggregate() }));
    apply(w.agg);
  };
  for (const r of rides) {
    add(r.city, r.requested_at, (a) => contribute(a, { step: 'requested' }));
    if (r.arrived_at !== null && r.wait_time_s !== null) {
      const waitS = r.wait_time_s;
      add(r.city, r.arrived_at, (a) => contribute(a, { step: 'arrived', waitS }));
    }
    if (r.status === 'completed' && r.completed_at !== null) {
      const c = { step: 'completed' as const, fare: r.fare_total ?? 0, currency: r.currency ?? 'USD', tripS: r.trip_duration_s, surge: r.surge_multiplier ?? 1 };
      add(r.city, r.completed_at, (a) => contribute(a, c));
    }
    if (r.status === 'cancelled' && r.cancelled_at !== null) add(r.city, r.cancelled_at, (a) => contribute(a, { step: 'cancelled' }));
  }
  return [...windows.values()]
    .map((w) => toRideMetrics({ city: w.city, zone: null, startMs: w.start, endMs: w.start + MIN }, w.agg, 0))
    .sort((a, b) => a.city.localeCompare(b.city) || a.window_start.localeCompare(b.window_start));
}

const pick = (m: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(['city', 'window_start', 'window_end', ...RIDE_DERIVED_METRIC_FIELDS].map((f) => [f, m[f]]));

describe('mart_city_metrics_1m', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase(inject('databaseUrl'), 'wh_metrics');
    await withClient(db.url, (c) => migrate(c, loadMigrations()));
    dir = await mkdtemp(join(tmpdir(), 'ridehail-whm-'));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('recomputes from fct_rides exactly the per-minute city metrics enrich computes from the same rides', async () => {
    const rides = handMadeRides();
    const file = join(dir, 'rides.jsonl');
    await writeFile(file, toJsonLines(rides.map((r) => ({ topic: 'enriched_rides', key: r.ride_id, value: r as unknown as Record<string, unknown> }))));
    const session = new PgSession(db.url);
    try {
      await loadFile(session, file, { salt: 's' });
    } finally {
      await session.close();
    }
    const batch = await withClient(db.url, (c) => cityMetrics1m(c));
    expect(batch.map(pick)).toEqual(streamMetrics(rides).map((m) => pick(m as unknown as Record<string, unknown>)));
  });

  it('uses nearest-rank p90 and counts each step in the minute it happened (worked by hand)', async () => {
    const batch = await withClient(db.url, (c) => cityMetrics1m(c, { city: 'nyc', from: new Date(T0 + 10 * MIN), to: new Date(T0 + 11 * MIN) }));
    expect(batch).toHaveLength(1);
    const m = batch[0]!;
    expect(m.rides_completed).toBe(11);
    expect(m.rides_cancelled).toBe(1);
    expect(m.rides_requested).toBe(0);
    // ceil(0.9 × 11) = 10th of the sorted fares.
    expect(m.p90_fare).toBe(21.3);
    expect(m.revenue).toBe(173.69);
    expect(m.avg_fare).toBe(15.79);
    expect(m.cancellation_rate).toBe(0.0833);
    expect(m.avg_surge).toBe(1.091);
    expect(m.currency).toBe('USD');
  });

  it('agrees with the stream on a generated hour of rides', async () => {
    const db2 = await createTestDatabase(inject('databaseUrl'), 'wh_metrics2');
    try {
      await withClient(db2.url, (c) => migrate(c, loadMigrations()));
      const world = buildWorld({ rides: 400, pingsPerRide: 0 });
      const file = join(dir, 'world.jsonl');
      await writeFile(file, toJsonLines(world.lines));
      const session = new PgSession(db2.url);
      try {
        await loadFile(session, file, { salt: 's' });
      } finally {
        await session.close();
      }
      const batch = await withClient(db2.url, (c) => cityMetrics1m(c));
      expect(batch.map(pick)).toEqual(streamMetrics(world.enriched).map((m) => pick(m as unknown as Record<string, unknown>)));
    } finally {
      await db2.drop();
    }
  });
});
