import { describe, expect, it } from 'vitest';
import { computeLag } from '../../../src/warehouse/status.js';
import type { StoredOffset } from '../../../src/warehouse/offsets.js';

const stored = (stream: string, partition: number, nextOffset: number): StoredOffset => ({
  origin: 'kafka', stream, partition, nextOffset, recordsLoaded: nextOffset, lastEventTime: null, updatedAt: new Date(),
});

describe('lag behind Kafka', () => {
  it('is the end offset minus the stored next offset, per partition', () => {
    const lag = computeLag([stored('ride_events', 0, 90), stored('ride_events', 1, 100)], [
      { topic: 'ride_events', partition: 0, high: 100, low: 0 },
      { topic: 'ride_events', partition: 1, high: 100, low: 0 },
    ]);
    expect(lag.map((l) => l.lag)).toEqual([10, 0]);
  });

  it('counts a never-loaded partition from its first retained offset', () => {
    const [lag] = computeLag([], [{ topic: 'user_events', partition: 0, high: 50, low: 20 }]);
    expect(lag).toEqual({ topic: 'user_events', partition: 0, loaded: 20, end: 50, lag: 30 });
  });

  it('ignores file offsets and never goes negative', () => {
    const file: StoredOffset = { ...stored('user_events', 0, 999), origin: 'file' };
    const [lag] = computeLag([file, stored('user_events', 0, 60)], [{ topic: 'user_events', partition: 0, high: 50, low: 0 }]);
    expect(lag?.lag).toBe(0);
  });
});
