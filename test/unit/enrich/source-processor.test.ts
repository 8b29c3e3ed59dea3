import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SourcePartitionProcessor } from '../../../src/enrich/source-processor.js';
import { unaccounted } from '../../../src/enrich/accounting.js';
import { timeZoneLookup } from '../../../src/enrich/time-zones.js';
import { h3Zone } from '../../../src/enrich/zones.js';
import type { PartialRecord, ProgressRecord } from '../../../src/enrich/partials.js';
import type { OutputRecord } from '../../../src/enrich/records.js';
import type { EnrichedRide } from '../../../src/contract/generated/enriched_rides.js';
import type { EnrichSettings } from '../../../src/enrich/settings.js';
import { byTime, completedRide, records, rideEvents, sec, T0, testSettings, userEvent, vehicleEvent } from './factories.js';

const NOW = T0 + 3_600_000;

function processor(topic: string, settings: EnrichSettings = testSettings()): SourcePartitionProcessor {
  return new SourcePartitionProcessor({ topic, partition: 0 }, {
    settings,
    zoneOf: h3Zone,
    timeZoneOf: timeZoneLookup([{ code: 'nyc', timeZone: 'America/New_York' }]),
    partialsPartitions: 2,
  });
}

const outputsTo = (outputs: OutputRecord[], topic: string): OutputRecord[] => outputs.filter((o) => o.topic === topic);
const json = <T>(o: OutputRecord): T => JSON.parse(String(o.value)) as T;

describe('one ride_events partition', () => {
  const topics = testSettings().topics;

  it("a ride's state is gone once it ends, and the changelog deletes it", () => {
    const p = processor(topics.rides);
    const events = completedRide(T0);
    p.process(records(topics.rides, events.slice(0, 3)), NOW);
    expect(p.openRides).toBe(1);
    const opened = p.drain();
    expect(opened.state.find((e) => e.key.startsWith('ride|'))?.value).toContain('"stage":"arrived"');

    p.process(records(topics.rides, events.slice(3), 0, 3), NOW);
    expect(p.openRides).toBe(0);
    const { outputs, state } = p.drain();
    const enriched = outputsTo(outputs, topics.enriched);
    expect(enriched).toHaveLength(1);
    expect(enriched[0]?.key).toBe(events[0]?.ride_id);
    expect(state).toContainEqual({ key: `ride|${events[0]?.ride_id}`, value: null });
    expect(p.counters).toMatchObject({ consumed: 5, enriched: 5, open: 0 });
  });

  it('a ride that is cancelled before assignment still yields one enriched record with null wait time', () => {
    const p = processor(topics.rides);
    p.process(records(topics.rides, rideEvents({ requestedAt: T0, cancelledAt: T0 + sec(45) })), NOW);
    const [record] = outputsTo(p.drain().outputs, topics.enriched).map((o) => json<EnrichedRide>(o));
    expect(record).toMatchObject({ status: 'cancelled', wait_time_s: null, driver_id: null, revision: 0 });
    expect(p.openRides).toBe(0);
  });

  it('a re-sent event is counted as a duplicate and written nowhere', () => {
    const p = processor(topics.rides);
    const [requested, assigned] = completedRide(T0);
    p.process(records(topics.rides, [requested!, assigned!, assigned!]), NOW);
    expect(p.counters).toMatchObject({ consumed: 3, duplicates: 1, dlq: 0, open: 2 });
  });

  it('a record that is not JSON goes to events_dlq with its original bytes, key and source coordinates', () => {
    const p = processor(topics.rides);
    const garbage = { topic: topics.rides, partition: 0, offset: 41, key: Buffer.from('ride_x'), value: Buffer.from([0xff, 0x00, 0x7b]), timestamp: 0 };
    p.process([garbage], NOW);
    const [dlq] = outputsTo(p.drain().outputs, topics.dlq);
    expect(dlq?.value).toEqual(garbage.value);
    expect(dlq?.key).toEqual(garbage.key);
    expect(dlq?.headers).toMatchObject({
      'dlq.reason': expect.stringMatching(/^not JSON/),
      'dlq.source.topic': topics.rides,
      'dlq.source.partition': '0',
      'dlq.source.offset': '41',
    });
  });

  it('a lifecycle step out of order goes to events_dlq and the stream goes on', () => {
    const p = processor(topics.rides);
    const [requested, assigned, arrived, started, completed] = completedRide(T0);
    const other = rideEvents({ requestedAt: T0 + sec(1), cancelledAt: T0 + sec(20) });
    p.process(records(topics.rides, [requested!, started!, ...other]), NOW);
    const { outputs } = p.drain();
    expect(outputsTo(outputs, topics.dlq).map((o) => o.headers?.['dlq.reason'])).toEqual([expect.stringMatching(/ride_started .* while it is requested/)]);
    expect(outputsTo(outputs, topics.enriched)).toHaveLength(1);
    // The refused step left the ride where it was: the right order still completes it. Re-sending
    // the refused event itself would be a duplicate: its id was seen.
    p.process(records(topics.rides, [assigned!, arrived!, started!, { ...started!, event_id: randomUUID() }, completed!], 0, 7), NOW);
    expect(outputsTo(p.drain().outputs, topics.enriched)).toHaveLength(1);
    expect(p.counters.duplicates).toBe(1);
  });

  it('an event behind the watermark goes to events_late with its original bytes', () => {
    const p = processor(topics.rides);
    const recent = completedRide(T0 + sec(600));
    const old = completedRide(T0);
    p.process(records(topics.rides, [recent[0]!, old[0]!]), NOW);
    const [late] = outputsTo(p.drain().outputs, topics.late);
    expect(String(late?.value)).toBe(JSON.stringify(old[0]));
    expect(late?.headers).toMatchObject({ 'late.source.offset': '1', 'late.event_time': old[0]?.event_time, 'late.watermark': new Date(T0 + sec(570)).toISOString() });
    expect(p.counters).toMatchObject({ late: 1, open: 1 });
  });

  it('the books balance: consumed = enriched + dlq + duplicates + late + open', () => {
    const p = processor(topics.rides);
    const rides = [completedRide(T0), completedRide(T0 + sec(5)), rideEvents({ requestedAt: T0 + sec(9), assignedAt: T0 + sec(20) })];
    const events = byTime(rides.flat());
    const values: (object | string)[] = [...events, events.at(-1)!, 'not json', completedRide(T0 - sec(3_600))[0]!];
    p.process(records(topics.rides, values), NOW);
    expect(p.counters).toMatchObject({ consumed: values.length, enriched: 10, open: 2, duplicates: 1, dlq: 1, late: 1 });
    expect(unaccounted(p.counters)).toBe(0);
  });

  it('a ride that never ends is given up after the ride timeout, counted as expired', () => {
    const p = processor(topics.rides, testSettings({ rideTimeoutMs: 600_000 }));
    p.process(records(topics.rides, rideEvents({ requestedAt: T0, assignedAt: T0 + sec(10) })), NOW);
    p.process(records(topics.rides, completedRide(T0 + sec(1_200)).slice(0, 1), 0, 2), NOW);
    expect(p.counters).toMatchObject({ expired: 2, open: 1 });
    expect(unaccounted(p.counters)).toBe(0);
  });

  it('records before the restored offset are skipped, so a replayed batch changes nothing', () => {
    const first = processor(topics.rides);
    const events = completedRide(T0);
    first.process(records(topics.rides, events.slice(0, 2)), NOW);
    const saved = first.drain().state;

    const restored = processor(topics.rides);
    for (const entry of saved) if (entry.value !== null) restored.restore(entry.key, entry.value);
    restored.finishRestore();
    expect(restored.nextOffset).toBe(2);
    restored.process(records(topics.rides, events), NOW);
    expect(restored.counters).toMatchObject({ consumed: 5, enriched: 5, duplicates: 0 });
  });

  it('a partition with records still waiting in Kafka is never taken for idle, however long it waits', () => {
    const p = processor(topics.rides, testSettings({ idleTimeoutMs: 1_000 }));
    p.process(records(topics.rides, completedRide(T0).slice(0, 1)), NOW);
    p.tick(NOW + 60_000, false);
    expect(p.eventClockMs).toBe(T0);
    // Caught up, the same quiet counts: the clock runs on with wall time, minus the idle timeout.
    p.tick(NOW + 60_000, true);
    expect(p.eventClockMs).toBe(T0 + 59_000);
  });

  it('a window partial is sent once the clock passes the window end, and a late event inside the lateness re-sends it', () => {
    const p = processor(topics.rides);
    const early = completedRide(T0 + sec(10));
    p.process(records(topics.rides, [early[0]!]), NOW);
    expect(outputsTo(p.drain().outputs, topics.partials).filter((o) => json<PartialRecord>(o).type === 'partial')).toHaveLength(0);

    // The clock passes 08:01: the 08:00 window fires with one request.
    const later = completedRide(T0 + sec(65));
    p.process(records(topics.rides, [later[0]!], 0, 1), NOW);
    const fired = outputsTo(p.drain().outputs, topics.partials).map((o) => json<PartialRecord | ProgressRecord>(o));
    const partial = fired.find((r): r is PartialRecord => r.type === 'partial');
    expect(partial).toMatchObject({ city: 'nyc', windowStartMs: T0, seq: 0, total: { requested: 1 } });
    expect(fired.filter((r) => r.type === 'progress')).toHaveLength(2);

    // A request at 08:00:50 arrives now: late for the clock, inside the 30 s lateness.
    const straggler = completedRide(T0 + sec(50));
    p.process(records(topics.rides, [straggler[0]!], 0, 2), NOW);
    const corrected = outputsTo(p.drain().outputs, topics.partials).map((o) => json<PartialRecord>(o)).find((r) => r.type === 'partial');
    expect(corrected).toMatchObject({ windowStartMs: T0, seq: 1, total: { requested: 2 } });
    expect(p.counters.late).toBe(0);
  });
});

describe('one vehicle_events partition', () => {
  const topics = testSettings().topics;

  it('reports drivers online and on trip at each window end, by the latest event at or before it', () => {
    const p = processor(topics.vehicles);
    p.process(records(topics.vehicles, [
      vehicleEvent({ vehicleId: 'veh_a', at: T0 + sec(5), status: 'available' }),
      vehicleEvent({ vehicleId: 'veh_b', at: T0 + sec(6), status: 'on_trip' }),
      vehicleEvent({ vehicleId: 'veh_c', at: T0 + sec(7), status: 'available' }),
      vehicleEvent({ vehicleId: 'veh_c', at: T0 + sec(30), status: 'offline' }),
      vehicleEvent({ vehicleId: 'veh_a', at: T0 + sec(61), status: 'on_trip' }),
    ]), NOW);
    const partials = outputsTo(p.drain().outputs, topics.partials).map((o) => json<PartialRecord>(o)).filter((r) => r.type === 'partial');
    expect(partials).toHaveLength(1);
    expect(partials[0]).toMatchObject({ windowStartMs: T0, total: { driversOnline: 2, driversOnTrip: 1 } });
    expect(p.counters).toMatchObject({ consumed: 5, enriched: 5 });
  });

  it('a late vehicle event inside the lateness corrects the driver counts of windows already sent', () => {
    const p = processor(topics.vehicles);
    p.process(records(topics.vehicles, [
      vehicleEvent({ vehicleId: 'veh_a', at: T0 + sec(5), status: 'available' }),
      vehicleEvent({ vehicleId: 'veh_a', at: T0 + sec(70), status: 'available' }),
    ]), NOW);
    p.drain();
    p.process(records(topics.vehicles, [vehicleEvent({ vehicleId: 'veh_b', at: T0 + sec(50), status: 'on_trip' })], 0, 2), NOW);
    const corrected = outputsTo(p.drain().outputs, topics.partials).map((o) => json<PartialRecord>(o)).find((r) => r.type === 'partial');
    expect(corrected).toMatchObject({ windowStartMs: T0, seq: 1, total: { driversOnline: 2, driversOnTrip: 1 } });
  });
});

describe('one user_events partition', () => {
  it('valid user events are consumed and counted as enriched; they need no join', () => {
    const topics = testSettings().topics;
    const p = processor(topics.users);
    p.process(records(topics.users, [userEvent(T0), userEvent(T0 + 1)]), NOW);
    expect(p.counters).toMatchObject({ consumed: 2, enriched: 2 });
    expect(p.drain().outputs).toEqual([]);
  });
});
