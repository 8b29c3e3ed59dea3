import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EnrichedRide } from '../../src/contract/generated/enriched_rides.js';
import type { RideMetrics } from '../../src/contract/generated/ride_metrics.js';
import { defaultSettings } from '../../src/enrich/settings.js';
import { selectCities } from '../../src/generate/cities.js';
import { generate } from '../../src/generate/job.js';
import { toJsonLine } from '../../src/generate/records.js';
import { MemorySink } from '../../src/generate/sinks.js';
import { loadFile } from '../../src/warehouse/load.js';
import { cityMetrics1m, RIDE_DERIVED_METRIC_FIELDS, type CityMetrics1m } from '../../src/warehouse/metrics.js';
import { loadMigrations, migrate } from '../../src/warehouse/migrations.js';
import { PgSession } from '../../src/warehouse/session.js';
import { Pipeline } from '../unit/enrich/pipeline-harness.js';
import { createTestDatabase, withClient } from '../helpers/postgres.js';

/**
 * Batch equals stream, end to end: generate a stretch of a city, run it through enrich (the real
 * processors, on the in-memory broker) and through `warehouse load`, then compare the per-minute
 * city metrics the warehouse recomputes from fct_rides with enrich's ride_metrics_1m, field by field.
 */
const START = Date.parse('2026-03-02T13:00:00.000Z');
const DURATION = 2 * 3_600_000;

describe('batch equals stream', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dir: string;
  let stream: RideMetrics[];
  let batch: CityMetrics1m[];
  let cutoff: number;
  const unfinishedMinutes = new Set<string>();
  const comparable = (m: { city: string; window_start: string }): boolean =>
    Date.parse(m.window_start) < cutoff && !unfinishedMinutes.has(`${m.city}|${m.window_start}`);

  beforeAll(async () => {
    const sink = new MemorySink();
    await generate(
      {
        cities: selectCities(['nyc']), seed: 'warehouse-bes', clock: 'sim', startMs: START, rate: 15, speed: 1,
        durationMs: DURATION, invalidRate: 0, duplicateRate: 0, lateRate: 0, lateByMs: 0, destination: 'memory',
      },
      sink,
    );

    const pipeline = new Pipeline(defaultSettings({ maxFutureMs: 3_600_000 }), 3, START + DURATION, 500);
    for (const r of sink.records) pipeline.broker.produce(r.topic, r.key, r.value);
    await pipeline.pump();
    for (let i = 0; i < 40; i++) await pipeline.advance(10_000);
    const t = pipeline.settings.topics;
    const enriched = new Map<string, EnrichedRide>();
    for (const ride of pipeline.broker.values<EnrichedRide>(t.enriched)) {
      const seen = enriched.get(ride.ride_id);
      if (!seen || seen.revision < ride.revision) enriched.set(ride.ride_id, ride);
    }
    stream = [...pipeline.latestMetrics(t.metricsCity).values()];

    // A ride that never finished (still on its trip when the generator stopped) counted its
    // request and its driver's arrival in enrich's windows but never reaches fct_rides: the
    // minutes where that happened are not comparable. Every other minute must match.
    const finished = new Set(enriched.keys());
    for (const r of sink.records) {
      if (r.topic !== 'ride_events') continue;
      const event = JSON.parse(r.value) as { event_type: string; ride_id: string; event_time: string; city: string };
      if ((event.event_type === 'ride_requested' || event.event_type === 'driver_arrived') && !finished.has(event.ride_id)) {
        unfinishedMinutes.add(`${event.city}|${new Date(Math.floor(Date.parse(event.event_time) / 60_000) * 60_000).toISOString()}`);
      }
    }
    // The last minutes may still be open in the stream when the test stops feeding it.
    cutoff = START + DURATION - 5 * 60_000;

    dir = await mkdtemp(join(tmpdir(), 'ridehail-bes-'));
    const file = join(dir, 'day.jsonl');
    const enrichedLines = [...enriched.values()].map((ride) => JSON.stringify({ topic: 'enriched_rides', key: ride.ride_id, value: ride }) + '\n');
    await writeFile(file, sink.records.map(toJsonLine).join('') + enrichedLines.join(''));
    db = await createTestDatabase(inject('databaseUrl'), 'wh_bes');
    await withClient(db.url, (c) => migrate(c, loadMigrations()));
    const session = new PgSession(db.url);
    try {
      const summary = await loadFile(session, file, { salt: 's' });
      expect(summary.rejected).toBe(0);
    } finally {
      await session.close();
    }
    batch = await withClient(db.url, (c) => cityMetrics1m(c));
  }, 180_000);

  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const rideFields = (m: object): Record<string, unknown> =>
    Object.fromEntries(['city', 'window_start', ...RIDE_DERIVED_METRIC_FIELDS].map((f) => [f, (m as Record<string, unknown>)[f]]));

  it('has enough finished rides to compare', () => {
    const compared = batch.filter(comparable);
    // The generator leaves some rides unfinished (still assigned or on their trip when it stops),
    // spread over the run; the minutes they touched are set aside, the rest are compared.
    expect(compared.length).toBeGreaterThanOrEqual(30);
    expect(compared.reduce((n, m) => n + m.rides_completed, 0)).toBeGreaterThan(150);
  });

  /**
   * Means are equal up to the last rounded digit: enrich sums floats in whatever order partition
   * partials merge (so 161.05 may arrive as 161.04999… and round down), the warehouse sums exact
   * decimals. Everything else (counts, revenue, p90, currency, rates' inputs) must be identical.
   */
  const MEAN_DECIMALS: Record<string, number> = { avg_fare: 2, avg_wait_s: 1, avg_trip_s: 1, avg_surge: 3, cancellation_rate: 4 };
  const sameMetrics = (a: Record<string, unknown>, b: Record<string, unknown>): boolean =>
    Object.keys(a).every((field) => {
      const decimals = MEAN_DECIMALS[field];
      const x = a[field];
      const y = b[field];
      if (decimals !== undefined && typeof x === 'number' && typeof y === 'number') return Math.abs(x - y) <= 10 ** -decimals + 1e-9;
      return x === y;
    });

  it('every minute with ride activity has the same metrics in the warehouse as in ride_metrics_1m', () => {
    const fromStream = new Map(stream.filter(comparable).map((m) => [`${m.city}|${m.window_start}`, m]));
    const mismatches: unknown[] = [];
    let exact = 0;
    for (const m of batch.filter(comparable)) {
      const s = fromStream.get(`${m.city}|${m.window_start}`);
      if (!s || !sameMetrics(rideFields(s), rideFields(m))) mismatches.push({ batch: rideFields(m), stream: s ? rideFields(s) : null });
      else if (JSON.stringify(rideFields(s)) === JSON.stringify(rideFields(m))) exact += 1;
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    // Off-by-one-digit means are the rare boundary case, not the rule.
    expect(exact).toBeGreaterThanOrEqual(batch.filter(comparable).length - 3);
  });

  it('the minutes the warehouse has no row for had no ride activity in the stream either', () => {
    const inBatch = new Set(batch.map((m) => `${m.city}|${m.window_start}`));
    const missing = stream
      .filter((m) => comparable(m) && !inBatch.has(`${m.city}|${m.window_start}`))
      .filter((m) => m.rides_requested + m.rides_completed + m.rides_cancelled > 0 || m.avg_wait_s !== null);
    expect(missing).toEqual([]);
  });
});
