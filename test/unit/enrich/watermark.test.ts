import { describe, expect, it } from 'vitest';
import { PartitionClock } from '../../../src/enrich/watermark.js';
import { isLate, passedThrough, windowStart } from '../../../src/enrich/windows.js';

describe('the event-time clock and watermark of a partition', () => {
  it('the clock is the largest event time seen and the watermark trails it by the allowed lateness', () => {
    const clock = new PartitionClock(30_000, 10_000);
    clock.observe(100_000, 0);
    clock.observe(90_000, 1);
    expect(clock.eventClockMs).toBe(100_000);
    expect(clock.watermarkMs).toBe(70_000);
  });

  it('an idle partition lets its clock run on with wall time after the idle timeout', () => {
    const clock = new PartitionClock(30_000, 10_000);
    clock.observe(100_000, 1_000);
    expect(clock.advanceIfIdle(5_000)).toBe(false);
    expect(clock.isIdle(11_000)).toBe(true);
    expect(clock.advanceIfIdle(31_000)).toBe(true);
    expect(clock.eventClockMs).toBe(120_000);
  });

  it('the idle advance never moves the clock backwards, even when an older event arrives after it', () => {
    const clock = new PartitionClock(0, 1_000);
    clock.observe(100_000, 0);
    clock.advanceIfIdle(61_000);
    expect(clock.eventClockMs).toBe(160_000);
    clock.observe(150_000, 62_000);
    expect(clock.eventClockMs).toBe(160_000);
  });

  it('a restart does not count the downtime as idleness: the idle timer starts again', () => {
    const before = new PartitionClock(0, 1_000);
    before.observe(100_000, 0);
    const after = new PartitionClock(0, 1_000);
    after.restore(before.snapshot());
    expect(after.advanceIfIdle(3_600_000)).toBe(false);
    expect(after.eventClockMs).toBe(100_000);
    expect(after.advanceIfIdle(3_602_000)).toBe(true);
    expect(after.eventClockMs).toBe(101_000);
  });

  it('a partition that has seen nothing has no clock and no watermark, and does not advance', () => {
    const clock = new PartitionClock(0, 1_000);
    expect(clock.watermarkMs).toBeNull();
    expect(clock.advanceIfIdle(1e12)).toBe(false);
  });
});

describe('windows and lateness', () => {
  it('windows are aligned to the epoch, so every partition cuts time at the same instants', () => {
    expect(windowStart(61_500, 60_000)).toBe(60_000);
    expect(passedThrough(119_999, 60_000)).toBe(60_000);
  });

  it('an event is late exactly when its window ended at or before the watermark', () => {
    // Watermark 120 s: the window [60 s, 120 s) is final, the window [120 s, 180 s) is not.
    expect(isLate(119_999, 120_000, 60_000)).toBe(true);
    expect(isLate(120_000, 120_000, 60_000)).toBe(false);
    // Watermark inside a window does not make that window's early events late.
    expect(isLate(121_000, 150_000, 60_000)).toBe(false);
    expect(isLate(0, null, 60_000)).toBe(false);
  });
});
