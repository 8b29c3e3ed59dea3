import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { durationMs } from '../../../src/cli/parse.js';
import { generate } from '../../../src/generate/job.js';
import type { RunProgress } from '../../../src/generate/runner.js';
import type { EventSink } from '../../../src/generate/sinks.js';
import { cityOf, params } from './support.js';

/**
 * `--clock sim --duration 30d`: a month of one city, at a rate small enough for a unit test. What
 * must hold whatever the rate: it ends by duration, at the target rate, and the state it keeps
 * (open rides, the agenda, the heap) does not grow with the length of the run.
 */

const DAY = 86_400_000;
const RATE = 0.05;

/** Counts and forgets: a month of records must not be kept by the test either. */
class CountingSink implements EventSink {
  readonly description = 'counting';
  records = 0;
  async write(records: readonly unknown[]): Promise<void> {
    this.records += records.length;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('a month of simulated time', () => {
  it('runs --duration 30d to its end at the target rate, with its open state bounded', async () => {
    const duration = durationMs('30d');
    expect(duration).toBe(30 * DAY);
    const start = Date.parse('2026-02-02T00:00:00Z');
    const gc = collectGarbage();
    const samples: { atMs: number; openRides: number; scheduled: number; online: number }[] = [];
    const heap: { day: number; bytes: number }[] = [];
    const sink = new CountingSink();
    const onProgress = (p: RunProgress): void => {
      const { timeMs, openRides, scheduled, driversOnline } = p.status;
      samples.push({ atMs: timeMs, openRides, scheduled, online: driversOnline });
      const day = Math.floor((timeMs - start) / DAY);
      if ((day === 3 || day === 29) && !heap.some((h) => h.day === day)) {
        gc();
        heap.push({ day, bytes: process.memoryUsage().heapUsed });
      }
    };
    const summary = await generate(params({ cities: [cityOf('nyc')], seed: 'month', startMs: start, rate: RATE, durationMs: duration, pingIntervalMs: 600_000 }), sink, { onProgress });

    expect(summary.stopped_by).toBe('duration');
    expect(Date.parse(summary.event_time.last!)).toBeGreaterThan(start + duration - DAY / 24);
    expect(Date.parse(summary.event_time.last!)).toBeLessThan(start + duration);
    expect(sink.records).toBe(summary.events);
    // The rate of event time over the whole month is the one asked for.
    expect(summary.events / (duration / 1000)).toBeGreaterThan(RATE * 0.85);
    expect(summary.events / (duration / 1000)).toBeLessThan(RATE * 1.15);

    // Per five-day window, the most the simulation held at once: the last window no more than the first.
    const windows = Array.from({ length: 6 }, (_, w) => samples.filter((s) => s.atMs >= start + w * 5 * DAY && s.atMs < start + (w + 1) * 5 * DAY));
    const peak = (w: number, field: 'openRides' | 'scheduled' | 'online') => Math.max(...windows[w]!.map((s) => s[field]));
    for (const field of ['openRides', 'scheduled', 'online'] as const) {
      expect(peak(0, field), field).toBeGreaterThan(0);
      expect(peak(5, field), field).toBeLessThanOrEqual(peak(0, field) * 1.5 + 5);
    }
    // The heap does not grow with the month: what is left after day 3 stays within a few MB.
    expect(heap.map((h) => h.day)).toEqual([3, 29]);
    expect(heap[1]!.bytes - heap[0]!.bytes).toBeLessThan(16 * 1024 * 1024);
  }, 60_000);
});
