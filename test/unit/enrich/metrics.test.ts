import { describe, expect, it } from 'vitest';
import { percentile, toRideMetrics } from '../../../src/enrich/metrics.js';
import { contribute, emptyAggregate, mergeInto } from '../../../src/enrich/windows.js';
import { validate } from '../../../src/contract/validate.js';

const id = { city: 'nyc', zone: null, startMs: 0, endMs: 60_000 };

describe('window metrics', () => {
  it('p90 is the nearest-rank 90th percentile of fares', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([10, 20], 0.9)).toBe(20);
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([], 0.9)).toBeNull();
  });

  it('a window with neither completions nor cancellations has a null cancellation rate, not NaN', () => {
    const a = emptyAggregate();
    contribute(a, { step: 'requested' });
    const m = toRideMetrics(id, a, 0);
    expect(m.cancellation_rate).toBeNull();
    expect(m.avg_fare).toBeNull();
    expect(m.p90_fare).toBeNull();
    expect(m.utilisation).toBeNull();
    expect(m.rides_requested).toBe(1);
  });

  it('revenue, averages, surge and utilisation come from the sums and counts', () => {
    const a = emptyAggregate();
    contribute(a, { step: 'completed', fare: 10, currency: 'USD', tripS: 600, surge: 1 });
    contribute(a, { step: 'completed', fare: 30, currency: 'USD', tripS: 1200, surge: 2 });
    contribute(a, { step: 'cancelled' });
    contribute(a, { step: 'arrived', waitS: 100 });
    a.driversOnline = 4;
    a.driversOnTrip = 1;
    const m = toRideMetrics(id, a, 2);
    expect(m).toMatchObject({
      rides_completed: 2, rides_cancelled: 1, cancellation_rate: 0.3333, revenue: 40, currency: 'USD', avg_fare: 20, p90_fare: 30,
      avg_wait_s: 100, avg_trip_s: 900, avg_surge: 1.5, utilisation: 0.25, revision: 2,
    });
    const result = validate('ride_metrics.schema.json', m);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('partials from two partitions merge by addition, fares included', () => {
    const a = emptyAggregate();
    const b = emptyAggregate();
    contribute(a, { step: 'completed', fare: 10, currency: 'USD', tripS: 60, surge: 1 });
    contribute(b, { step: 'completed', fare: 50, currency: 'USD', tripS: 60, surge: 1 });
    b.driversOnline = 3;
    const merged = mergeInto(mergeInto(emptyAggregate(), a), b);
    expect(merged).toMatchObject({ completed: 2, revenue: 60, fares: [10, 50], driversOnline: 3 });
  });
});
