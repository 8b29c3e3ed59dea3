import { describe, expect, it } from 'vitest';
import { WindowMergeProcessor } from '../../../src/enrich/window-merger.js';
import { emptyAggregate, type WindowAggregate } from '../../../src/enrich/windows.js';
import type { PartialRecord, ProgressRecord } from '../../../src/enrich/partials.js';
import type { RideMetrics } from '../../../src/contract/generated/ride_metrics.js';
import type { OutputRecord, SourceRecord } from '../../../src/enrich/records.js';
import { T0, testSettings } from './factories.js';

const settings = testSettings({ idleTimeoutMs: 10_000 });
const W = settings.windowMs;
const ZONE_A = '882a100d2dfffff';
const ZONE_B = '882a100d25fffff';

function harness(expectedSources: string[] = []) {
  const merger = new WindowMergeProcessor({ topic: settings.topics.partials, partition: 0 }, settings, expectedSources);
  let offset = 0;
  const feed = (inputs: (PartialRecord | ProgressRecord)[], nowMs: number): OutputRecord[] => {
    const batch: SourceRecord[] = inputs.map((input) => ({
      topic: settings.topics.partials, partition: 0, offset: offset++, key: null, value: Buffer.from(JSON.stringify(input)), timestamp: 0,
    }));
    merger.process(batch, nowMs);
    return merger.drain().outputs;
  };
  const tick = (nowMs: number): OutputRecord[] => {
    merger.tick(nowMs, true);
    return merger.drain().outputs;
  };
  return { merger, feed, tick };
}

const agg = (values: Partial<WindowAggregate>): WindowAggregate => ({ ...emptyAggregate(), ...values });
const partial = (source: string, values: Partial<WindowAggregate>, zones: Record<string, Partial<WindowAggregate>> = {}, seq = 0): PartialRecord => ({
  type: 'partial', source, city: 'nyc', windowStartMs: T0, seq, total: agg(values),
  zones: Object.fromEntries(Object.entries(zones).map(([z, v]) => [z, agg(v)])),
});
const progress = (source: string, firedThroughMs: number, finalThroughMs = firedThroughMs - W): ProgressRecord => ({ type: 'progress', source, firedThroughMs, finalThroughMs });
const metrics = (outputs: OutputRecord[], topic = settings.topics.metricsCity): RideMetrics[] =>
  outputs.filter((o) => o.topic === topic).map((o) => JSON.parse(String(o.value)) as RideMetrics);

describe('the window merger', () => {
  it('writes a window only once every live source has passed its end, summing their partials', () => {
    const { feed } = harness();
    const now = 1_000_000;
    expect(feed([partial('ride_events/0', { requested: 2 }), progress('ride_events/0', T0 + W), progress('vehicle_events/0', T0)], now)).toEqual([]);
    const out = feed([partial('vehicle_events/0', { driversOnline: 5, driversOnTrip: 2 }), progress('vehicle_events/0', T0 + W)], now + 1);
    expect(metrics(out)).toEqual([expect.objectContaining({ city: 'nyc', zone: null, rides_requested: 2, drivers_online: 5, utilisation: 0.4, revision: 0 })]);
    const [record] = out;
    expect(record?.key).toBe(`nyc|${new Date(T0).toISOString()}`);
  });

  it('does not wait for a source that has said nothing for the idle timeout', () => {
    const { feed, tick } = harness();
    const now = 1_000_000;
    feed([progress('ride_events/1', T0)], now);
    expect(feed([partial('ride_events/0', { requested: 1 }), progress('ride_events/0', T0 + W)], now + 1_000)).toEqual([]);
    expect(metrics(tick(now + 9_000))).toEqual([]);
    // ride_events/0 keeps reporting; ride_events/1 has been silent for longer than the idle timeout.
    expect(feed([progress('ride_events/0', T0 + W)], now + 9_500)).toEqual([]);
    expect(metrics(tick(now + 11_000))).toEqual([expect.objectContaining({ rides_requested: 1, revision: 0 })]);
  });

  it('a correction from one source re-emits the window with revision + 1 and leaves unchanged zones alone', () => {
    const { feed } = harness();
    const now = 1_000_000;
    const first = feed([partial('ride_events/0', { requested: 2 }, { [ZONE_A]: { requested: 1 }, [ZONE_B]: { requested: 1 } }), progress('ride_events/0', T0 + W)], now);
    expect(metrics(first)).toHaveLength(1);
    expect(metrics(first, settings.topics.metricsZone)).toHaveLength(2);

    const second = feed([partial('ride_events/0', { requested: 3 }, { [ZONE_A]: { requested: 2 }, [ZONE_B]: { requested: 1 } }, 1)], now + 1);
    expect(metrics(second)).toEqual([expect.objectContaining({ rides_requested: 3, revision: 1 })]);
    expect(metrics(second, settings.topics.metricsZone)).toEqual([expect.objectContaining({ zone: ZONE_A, rides_requested: 2, revision: 1 })]);
  });

  it('a zone that emptied is corrected to zero rather than left at its old value', () => {
    const { feed } = harness();
    feed([partial('vehicle_events/0', { driversOnline: 1 }, { [ZONE_A]: { driversOnline: 1 } }), progress('vehicle_events/0', T0 + W)], 1);
    const out = feed([partial('vehicle_events/0', { driversOnline: 1 }, { [ZONE_B]: { driversOnline: 1 } }, 1)], 2);
    const zones = metrics(out, settings.topics.metricsZone);
    expect(zones).toContainEqual(expect.objectContaining({ zone: ZONE_A, drivers_online: 0, revision: 1 }));
    expect(zones).toContainEqual(expect.objectContaining({ zone: ZONE_B, drivers_online: 1, revision: 0 }));
  });

  it('a partition that never reported holds a window open for the source timeout, in wall time', () => {
    const { feed, merger } = harness(['ride_events/0', 'ride_events/1']);
    const now = 1_000_000;
    feed([partial('ride_events/0', { requested: 1 }), progress('ride_events/0', T0 + W, T0 + W)], now);
    // Event time racing ahead (a backlog) does not give up on ride_events/1 ...
    feed([progress('ride_events/0', T0 + 100 * W, T0 + 100 * W)], now + 1_000);
    expect(merger.openWindows).toBe(1);
    // ... wall time does.
    feed([progress('ride_events/0', T0 + 100 * W, T0 + 100 * W)], now + settings.sourceTimeoutMs);
    expect(merger.openWindows).toBe(0);
  });

  it("a window's state is gone once every source has declared it final", () => {
    const { feed, merger } = harness();
    feed([partial('ride_events/0', { requested: 1 }), progress('ride_events/0', T0 + W, T0)], 1);
    expect(merger.openWindows).toBe(1);
    feed([progress('ride_events/0', T0 + 2 * W, T0 + W)], 2);
    expect(merger.openWindows).toBe(0);
    const late = feed([partial('ride_events/0', { requested: 9 }, {}, 1)], 3);
    expect(late).toEqual([]);
    expect(merger.stats.partialsTooLate).toBe(1);
  });
});
