import { describe, expect, it } from 'vitest';
import { Pipeline } from './pipeline-harness.js';
import { byTime, completedRide, rideEvents, sec, T0, testSettings, vehicleEvent } from './factories.js';
import { unaccounted } from '../../../src/enrich/accounting.js';
import type { EnrichedRide } from '../../../src/contract/generated/enriched_rides.js';
import type { RideEvent } from '../../../src/contract/generated/ride_events.js';
import type { VehicleEvent } from '../../../src/contract/generated/vehicle_events.js';
import type { RideMetrics } from '../../../src/contract/generated/ride_metrics.js';

const NOW = T0 + 3_600_000;

/** A few minutes of two cities: rides completed and cancelled, and a fleet pinging its status. */
function cityTraffic(): (RideEvent | VehicleEvent)[] {
  const events: (RideEvent | VehicleEvent)[] = [];
  for (let i = 0; i < 40; i++) {
    const city = i % 3 === 0 ? 'lon' : 'nyc';
    const t = T0 + sec(7 * i);
    events.push(...(i % 5 === 4 ? rideEvents({ city, requestedAt: t, assignedAt: t + sec(20), cancelledAt: t + sec(50) }) : completedRide(t, { city, fareTotal: 10 + i })));
  }
  for (let v = 0; v < 6; v++) {
    for (let m = 0; m < 20; m++) events.push(vehicleEvent({ vehicleId: `veh_${v}`, city: v < 4 ? 'nyc' : 'lon', at: T0 + sec(60 * m + v), status: m % 4 === 1 ? 'on_trip' : 'available' }));
  }
  return byTime(events);
}

async function runToEnd(pipeline: Pipeline): Promise<void> {
  await pipeline.pump();
  // Quiet input: idle clocks run on with wall time and close the last windows.
  for (let i = 0; i < 30; i++) await pipeline.advance(sec(10));
}

describe('the enrich pipeline on an in-memory broker', () => {
  it('every finished ride yields exactly one enriched record, and the books balance', async () => {
    const pipeline = new Pipeline(testSettings(), 3, NOW);
    pipeline.produce(cityTraffic());
    await runToEnd(pipeline);
    const enriched = pipeline.broker.values<EnrichedRide>(pipeline.settings.topics.enriched);
    expect(enriched).toHaveLength(40);
    expect(new Set(enriched.map((r) => r.ride_id)).size).toBe(40);
    expect(enriched.filter((r) => r.status === 'cancelled')).toHaveLength(8);
    const counters = pipeline.counters();
    expect(counters).toMatchObject({ consumed: 40 * 5 - 8 * 2 + 120, open: 0, dlq: 0, late: 0, duplicates: 0 });
    expect(unaccounted(counters)).toBe(0);
    expect(pipeline.openRides()).toBe(0);
  });

  it('crashes between processing and commit change nothing: outputs exactly once, same windows', async () => {
    const events = cityTraffic();
    const clean = new Pipeline(testSettings(), 3, NOW);
    clean.produce(events);
    await runToEnd(clean);

    const crashing = new Pipeline(testSettings(), 3, NOW, 5);
    crashing.produce(events);
    let crashes = 0;
    for (let attempt = 0; attempt < 500; attempt++) {
      // Every few commits the process dies; what it had not committed is lost with it.
      crashing.broker.crashAtCommit = crashing.broker.commits + 1 + (attempt % 7);
      try {
        await crashing.pump();
        break;
      } catch {
        crashes += 1;
        crashing.start();
      }
    }
    crashing.broker.crashAtCommit = null;
    await runToEnd(crashing);
    expect(crashes).toBeGreaterThan(3);

    const t = clean.settings.topics;
    const rideIds = (p: Pipeline): string[] => p.broker.values<EnrichedRide>(t.enriched).map((r) => r.ride_id).sort();
    expect(rideIds(crashing)).toEqual(rideIds(clean));
    expect(crashing.counters()).toEqual(clean.counters());
    const finalValues = (p: Pipeline, topic: string): Record<string, Omit<RideMetrics, 'revision'>> =>
      Object.fromEntries([...p.latestMetrics(topic)].map(([key, { revision: _revision, ...rest }]) => [key, rest]));
    expect(finalValues(crashing, t.metricsCity)).toEqual(finalValues(clean, t.metricsCity));
    expect(finalValues(crashing, t.metricsZone)).toEqual(finalValues(clean, t.metricsZone));
    // Revisions of one key never repeat: no window was written twice.
    for (const topic of [t.metricsCity, t.metricsZone]) {
      const seen = new Set<string>();
      for (const r of crashing.broker.records(topic)) {
        const id = `${r.key?.toString()}#${(JSON.parse(r.value!.toString()) as RideMetrics).revision}`;
        expect(seen.has(id), id).toBe(false);
        seen.add(id);
      }
    }
  });

  it('city windows count each lifecycle step in the window of its own event time', async () => {
    const pipeline = new Pipeline(testSettings(), 2, NOW);
    // Requested 08:00:10, arrived 08:03:10 (wait 180 s), completed 08:15:10.
    pipeline.produce(completedRide(T0 + sec(10), { fareTotal: 25 }));
    await runToEnd(pipeline);
    const metrics = pipeline.latestMetrics(pipeline.settings.topics.metricsCity);
    const at = (minute: number): RideMetrics | undefined => metrics.get(`nyc|${new Date(T0 + minute * 60_000).toISOString()}`);
    expect(at(0)).toMatchObject({ rides_requested: 1, rides_completed: 0 });
    expect(at(3)).toMatchObject({ avg_wait_s: 180, rides_requested: 0 });
    expect(at(15)).toMatchObject({ rides_completed: 1, revenue: 25, avg_trip_s: 660, p90_fare: 25 });
  });

  it('a late event inside the allowed lateness re-emits the corrected window under the same key with revision + 1', async () => {
    const pipeline = new Pipeline(testSettings({ allowedLatenessMs: 60_000 }), 1, NOW);
    const key = `nyc|${new Date(T0).toISOString()}`;
    pipeline.produce([...rideEvents({ requestedAt: T0 + sec(10) }), ...rideEvents({ requestedAt: T0 + sec(70) })]);
    await pipeline.pump();
    // The merger waits the idle timeout after starting for partitions it has not heard of (here: vehicle_events).
    await pipeline.advance(pipeline.settings.idleTimeoutMs);
    expect(pipeline.latestMetrics(pipeline.settings.topics.metricsCity).get(key)).toMatchObject({ rides_requested: 1, revision: 0 });
    pipeline.produce(rideEvents({ requestedAt: T0 + sec(30) }));
    await pipeline.pump();
    await pipeline.advance(1);
    expect(pipeline.latestMetrics(pipeline.settings.topics.metricsCity).get(key)).toMatchObject({ rides_requested: 2, revision: 1 });
  });

  it('an event later than the allowed lateness goes to events_late and leaves the window alone', async () => {
    const pipeline = new Pipeline(testSettings({ allowedLatenessMs: 10_000 }), 1, NOW);
    pipeline.produce([...rideEvents({ requestedAt: T0 + sec(10) }), ...rideEvents({ requestedAt: T0 + sec(200) })]);
    await pipeline.pump();
    pipeline.produce(rideEvents({ requestedAt: T0 + sec(30) }));
    await pipeline.pump();
    await pipeline.advance(pipeline.settings.idleTimeoutMs);
    expect(pipeline.broker.records(pipeline.settings.topics.late)).toHaveLength(1);
    expect(pipeline.latestMetrics(pipeline.settings.topics.metricsCity).get(`nyc|${new Date(T0).toISOString()}`)).toMatchObject({ rides_requested: 1, revision: 0 });
  });

  it('a quiet partition does not stall the windows of the busy ones', async () => {
    // Two partitions; only one keeps receiving events. Without idleness the merger would wait for the quiet one for ever.
    const pipeline = new Pipeline(testSettings({ idleTimeoutMs: 5_000 }), 2, NOW);
    const busy = (t: number): RideEvent[] => rideEvents({ rideId: 'ride_busy1', requestedAt: t }).slice(0, 1);
    pipeline.produce(rideEvents({ rideId: 'ride_quiet', requestedAt: T0 }).slice(0, 1));
    pipeline.produce(busy(T0 + sec(5)));
    await pipeline.pump();
    await pipeline.advance(1_000);
    const keys = (): string[] => [...pipeline.latestMetrics(pipeline.settings.topics.metricsCity).keys()];
    expect(keys()).toEqual([]);
    // Much later, in wall time, the quiet partition's clock has run on and the window closes.
    await pipeline.advance(sec(120));
    expect(keys()).toContain(`nyc|${new Date(T0).toISOString()}`);
  });

  it('a quiet city does not hold back another city: windows close on the partition clock, not per city', async () => {
    const pipeline = new Pipeline(testSettings(), 1, NOW);
    pipeline.produce([...completedRide(T0, { city: 'lon' }).slice(0, 1), ...completedRide(T0 + sec(5)), ...completedRide(T0 + sec(400))]);
    await pipeline.pump();
    await pipeline.advance(pipeline.settings.idleTimeoutMs);
    const keys = [...pipeline.latestMetrics(pipeline.settings.topics.metricsCity).keys()];
    expect(keys).toContain(`lon|${new Date(T0).toISOString()}`);
  });
});
