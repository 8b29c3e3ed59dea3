import { describe, expect, it } from 'vitest';
import { contribute, emptyAggregate, mergeInto, sparseAggregate, type WindowAggregate } from '../../../src/enrich/windows.js';

function aggregate(steps: Parameters<typeof contribute>[1][], drivers = 0): WindowAggregate {
  const a = emptyAggregate();
  for (const step of steps) contribute(a, step);
  a.driversOnline = drivers;
  return a;
}

describe('sparse window partials', () => {
  it('carry only what is not zero, and merge to what the whole aggregates merge to', () => {
    const samples = [
      aggregate([], 3),
      aggregate([{ step: 'requested' }, { step: 'arrived', waitS: 120 }]),
      aggregate([{ step: 'completed', fare: 12.5, currency: 'USD', tripS: 600, surge: 1.2 }, { step: 'cancelled' }], 1),
      aggregate([{ step: 'completed', fare: 0, currency: 'GBP', tripS: null, surge: 1 }]),
      emptyAggregate(),
    ];
    expect(sparseAggregate(samples[0]!)).toEqual({ driversOnline: 3 });
    expect(sparseAggregate(emptyAggregate())).toEqual({});
    const whole = emptyAggregate();
    const sparse = emptyAggregate();
    for (const s of samples) {
      mergeInto(whole, s);
      mergeInto(sparse, JSON.parse(JSON.stringify(sparseAggregate(s))));
    }
    expect(sparse).toEqual(whole);
  });

  it('a partial without a currency leaves the merged currency null, never undefined', () => {
    const merged = mergeInto(emptyAggregate(), sparseAggregate(aggregate([{ step: 'requested' }])));
    expect(merged.currency).toBeNull();
  });
});
