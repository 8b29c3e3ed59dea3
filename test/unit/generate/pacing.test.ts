import { describe, expect, it } from 'vitest';
import { EventTimeClock, FakeClock } from '../../../src/generate/clock.js';
import { generate } from '../../../src/generate/job.js';
import { RateLimiter } from '../../../src/generate/rate-limiter.js';
import type { OutRecord } from '../../../src/generate/records.js';
import type { EventSink } from '../../../src/generate/sinks.js';
import { cityOf, params, START } from './support.js';

/** Time as the generator sees it, on a fake clock: nothing here sleeps for real. */

describe('the rate limiter', () => {
  it('lets a burst through at once, then paces to its rate', async () => {
    const clock = new FakeClock(1_000);
    const limiter = new RateLimiter(100, clock, 20);
    let done = false;
    await limiter.take(20);
    expect(clock.now()).toBe(1_000);
    const waiting = limiter.take(10).then(() => (done = true));
    await clock.advance(99);
    expect(done).toBe(false);
    await clock.advance(1);
    await waiting;
    expect(done).toBe(true);
  });

  it('holds the average rate over a long run, whatever the batch sizes', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(250, clock, 50);
    let taken = 0;
    let finished = false;
    const sizes = [1, 7, 120, 3, 40, 500, 9];
    const worker = (async () => {
      for (let i = 0; i < 200; i++) {
        const n = sizes[i % sizes.length]!;
        await limiter.take(n);
        taken += n;
      }
      finished = true;
    })();
    while (!finished) await clock.advance(1);
    await worker;
    const total = Array.from({ length: 200 }, (_, i) => sizes[i % sizes.length]!).reduce((a, b) => a + b, 0);
    expect(taken).toBe(total);
    // Paid for at 250/s, except the first burst of 50, which was there for free.
    expect(clock.now() / 1000).toBeGreaterThanOrEqual((total - 50) / 250);
    expect(clock.now() / 1000).toBeLessThanOrEqual((total - 50) / 250 + 0.01);
  });

  it('refills no further than its burst after a quiet spell', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(10, clock, 5);
    await clock.advance(60_000);
    expect(limiter.delayFor(5)).toBe(0);
    expect(limiter.delayFor(6)).toBeCloseTo(100, 6);
  });

  it('wakes early, without error, when its signal aborts', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(1, clock, 1);
    const stop = new AbortController();
    await limiter.take(1);
    const waiting = limiter.take(100, stop.signal);
    stop.abort();
    await waiting;
    expect(clock.now()).toBe(0);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0, new FakeClock())).toThrow(/positive/);
  });
});

describe('event time on the wall clock', () => {
  it('runs --speed times faster than the clock underneath', async () => {
    const clock = new FakeClock(5_000);
    const eventTime = new EventTimeClock(clock, START, 60);
    await clock.advance(1_000);
    expect(eventTime.now()).toBe(START + 60_000);
    expect(eventTime.wallDelayUntil(START + 120_000)).toBe(1_000);
  });
});

/** Remembers when (on the fake clock) each record was handed over. */
class TimedSink implements EventSink {
  readonly description = 'timed';
  readonly writes: { atMs: number; eventMs: number }[] = [];
  constructor(private readonly clock: FakeClock) {}
  async write(records: readonly OutRecord[]): Promise<void> {
    for (const r of records) this.writes.push({ atMs: this.clock.now(), eventMs: Date.parse((JSON.parse(r.value) as { event_time: string }).event_time) });
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

async function paced(rate: number, speed: number, wallSeconds: number) {
  const clock = new FakeClock(START);
  const sink = new TimedSink(clock);
  const stop = new AbortController();
  const running = generate(params({ clock: 'wall', rate, speed, cities: [cityOf('nyc'), cityOf('lon')], seed: 'paced' }), sink, { clock, signal: stop.signal });
  for (let t = 0; t < wallSeconds * 1000; t += 50) await clock.advance(50);
  stop.abort();
  await clock.advance(1_000);
  return { summary: await running, writes: sink.writes };
}

describe('--clock wall', () => {
  it('releases no event before its time, and reaches the target rate of event time', async () => {
    const { summary, writes } = await paced(40, 1, 120);
    expect(summary.stopped_by).toBe('signal');
    for (const w of writes) expect(w.eventMs).toBeLessThanOrEqual(w.atMs);
    // Two minutes at 40 events/s; the first minutes are heavier (drivers sign up as they log on).
    const perSecond = writes.length / 120;
    expect(perSecond).toBeGreaterThan(40 * 0.8);
    expect(perSecond).toBeLessThan(40 * 2);
    expect(summary.event_time_rate).toBeCloseTo(perSecond, -1);
  });

  it('with --speed 30 covers thirty times as much event time in the same wall time', async () => {
    const { writes } = await paced(2, 30, 20);
    const spanMs = writes.at(-1)!.eventMs - START;
    expect(spanMs).toBeGreaterThan(0.95 * 30 * 20_000);
    expect(spanMs).toBeLessThanOrEqual(30 * 20_000 + 50 * 30);
    for (const w of writes) expect(w.eventMs).toBeLessThanOrEqual(START + (w.atMs - START) * 30);
  });
});
