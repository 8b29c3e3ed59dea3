import { describe, expect, it } from 'vitest';
import { SourcePartitionProcessor } from '../../../src/enrich/source-processor.js';
import { timeZoneLookup } from '../../../src/enrich/time-zones.js';
import { h3Zone } from '../../../src/enrich/zones.js';
import type { PartialRecord } from '../../../src/enrich/partials.js';
import type { StateEntry } from '../../../src/enrich/records.js';
import type { VehicleEvent } from '../../../src/contract/generated/vehicle_events.js';
import { records, sec, T0, testSettings, vehicleEvent } from './factories.js';

const NOW = T0 + 3_600_000;
const settings = testSettings();
const topic = settings.topics.vehicles;

function processor(): SourcePartitionProcessor {
  return new SourcePartitionProcessor({ topic, partition: 0 }, {
    settings, zoneOf: h3Zone, timeZoneOf: timeZoneLookup([{ code: 'nyc', timeZone: 'America/New_York' }]), partialsPartitions: 2,
  });
}

/** What a compacted changelog keeps: the latest value per key, in order of first appearance (as the restore reads it). */
function compact(log: Map<string, string>, state: StateEntry[]): void {
  for (const { key, value } of state) {
    if (value === null) log.delete(key);
    else log.set(key, value);
  }
}

function restoredFrom(log: Map<string, string>): SourcePartitionProcessor {
  const p = processor();
  for (const [key, value] of log) p.restore(key, value);
  p.finishRestore();
  return p;
}

const partialsOf = (p: SourcePartitionProcessor, state: Map<string, string>): PartialRecord[] => {
  const drained = p.drain();
  compact(state, drained.state);
  return drained.outputs.map((o) => JSON.parse(String(o.value)) as PartialRecord).filter((r) => r.type === 'partial');
};

/** Deterministic pseudo-random numbers, so a failure replays. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

/** A fleet over ten minutes: moving, parked, changing status, going offline and coming back; a few events late. */
function fleet(): VehicleEvent[] {
  const next = random(11);
  const points = [{ lat: 40.758, lon: -73.9855 }, { lat: 40.7128, lon: -74.006 }, { lat: 40.7306, lon: -73.9352 }, { lat: 40.6782, lon: -73.9442 }];
  const statuses = ['available', 'available', 'en_route', 'on_trip', 'offline'] as const;
  const events: VehicleEvent[] = [];
  for (let v = 0; v < 30; v++) {
    let point = points[v % points.length]!;
    for (let t = T0 + v * 700; t < T0 + sec(600); t += sec(15) + Math.floor(next() * 10_000)) {
      if (v % 5 !== 0 && next() < 0.3) point = points[Math.floor(next() * points.length)]!;
      const status = statuses[Math.floor(next() * statuses.length)]!;
      events.push(vehicleEvent({ vehicleId: `veh_${v}`, at: t, status, location: point }));
    }
  }
  events.sort((a, b) => Date.parse(a.event_time) - Date.parse(b.event_time));
  // Some events arrive a little after their successors (inside the lateness).
  for (let i = 1; i < events.length; i += 9) [events[i - 1], events[i]] = [events[i]!, events[i - 1]!];
  return events;
}

describe('vehicle state in the changelog', () => {
  it('a partition restored from its changelog after any commit reports the same driver counts as one that never stopped', () => {
    const input = records(topic, fleet());
    const batches: (typeof input)[] = [];
    for (let i = 0; i < input.length; i += 25) batches.push(input.slice(i, i + 25));

    const original = processor();
    const log = new Map<string, string>();
    const restarts: { at: number; log: Map<string, string> }[] = [];
    const expected: PartialRecord[][] = [];
    let sawDeletion = false;
    batches.forEach((batch, i) => {
      original.process(batch, NOW);
      expected.push(partialsOf(original, log));
      for (const [key, value] of log) if (key.startsWith('vc|') && (JSON.parse(value) as unknown[][]).some((e) => e.length === 1)) sawDeletion = true;
      if (i % 6 === 2) restarts.push({ at: i + 1, log: new Map(log) });
    });
    expect(expected.flat().length).toBeGreaterThan(5);
    // Vehicles went offline and were forgotten: the chunks carried deletions too.
    expect(sawDeletion).toBe(true);

    for (const { at, log: saved } of restarts) {
      const restored = restoredFrom(saved);
      const state = new Map(saved);
      for (let i = at; i < batches.length; i++) {
        restored.process(batches[i]!, NOW);
        expect(partialsOf(restored, state)).toEqual(expected[i]);
      }
    }
  });

  it('a vehicle forgotten while an older chunk still holds it stays forgotten after a restore', () => {
    const p = processor();
    const log = new Map<string, string>();
    // veh_a and veh_b share chunk 0; veh_b never changes again, so chunk 0 stays.
    p.process(records(topic, [
      vehicleEvent({ vehicleId: 'veh_a', at: T0 + sec(1), status: 'available' }),
      vehicleEvent({ vehicleId: 'veh_b', at: T0 + sec(2), status: 'available' }),
    ]), NOW);
    partialsOf(p, log);
    // veh_a goes offline and, in the same commit, the watermark passes it: it is forgotten, and
    // only a deletion mark says so (its offline step was never written).
    p.process(records(topic, [
      vehicleEvent({ vehicleId: 'veh_a', at: T0 + sec(3), status: 'offline' }),
      vehicleEvent({ vehicleId: 'veh_c', at: T0 + sec(200), status: 'available' }),
    ], 0, 2), NOW);
    partialsOf(p, log);
    expect([...log.keys()].filter((k) => k.startsWith('vc|'))).toEqual(['vc|0', 'vc|1']);

    const next = [vehicleEvent({ vehicleId: 'veh_c', at: T0 + sec(250), status: 'available' })];
    const restored = restoredFrom(log);
    restored.process(records(topic, next, 0, 4), NOW);
    p.process(records(topic, next, 0, 4), NOW);
    const counts = partialsOf(p, new Map());
    expect(counts.at(-1)).toMatchObject({ windowStartMs: T0 + sec(180), total: { driversOnline: 2 } });
    expect(partialsOf(restored, new Map())).toEqual(counts);
  });

  it('writes the vehicles a commit changed as one record, not one per vehicle', () => {
    const p = processor();
    p.process(records(topic, Array.from({ length: 40 }, (_, v) => vehicleEvent({ vehicleId: `veh_${v}`, at: T0 + v, status: 'available' }))), NOW);
    const keys = p.drain().state.map((e) => e.key);
    expect(keys.filter((k) => k.startsWith('vc|'))).toEqual(['vc|0']);
    expect(keys.filter((k) => k.startsWith('veh|'))).toEqual([]);
  });

  it('vehicles an older version wrote one per record are restored, then moved into a chunk with the old records deleted in the same commit', () => {
    const before = processor();
    before.process(records(topic, [vehicleEvent({ vehicleId: 'veh_a', at: T0, status: 'on_trip' })]), NOW);
    const meta = before.drain().state.find((e) => e.key === 'meta')!;
    const track = { vehicleId: 'veh_a', city: 'nyc', history: [{ t: T0, status: 'on_trip', zone: h3Zone({ lat: 40.758, lon: -73.9855 }) }] };
    const p = processor();
    p.restore('meta', meta.value!);
    p.restore('veh|veh_a', JSON.stringify(track));
    p.finishRestore();
    const { state } = p.drain();
    expect(state).toContainEqual({ key: 'veh|veh_a', value: null });
    const chunk = state.find((e) => e.key.startsWith('vc|'));
    expect(JSON.parse(chunk!.value!)).toEqual([['veh_a', 'nyc', T0, 'on_trip', track.history[0]!.zone]]);

    // The vehicle counts at the next window end as it did before the upgrade.
    p.process(records(topic, [vehicleEvent({ vehicleId: 'veh_b', at: T0 + sec(61), status: 'available' })], 0, 1), NOW);
    const partial = p.drain().outputs.map((o) => JSON.parse(String(o.value)) as PartialRecord).find((r) => r.type === 'partial');
    expect(partial).toMatchObject({ windowStartMs: T0, total: { driversOnline: 1, driversOnTrip: 1 } });
  });
});
