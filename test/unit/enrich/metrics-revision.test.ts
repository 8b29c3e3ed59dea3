import { describe, expect, it } from 'vitest';
import { toRideMetrics } from '../../../src/enrich/metrics.js';
import { withRevision } from '../../../src/enrich/window-merger.js';
import { contribute, emptyAggregate } from '../../../src/enrich/windows.js';

describe('a re-emitted window record', () => {
  it('is, byte for byte, the record JSON.stringify writes with its revision', () => {
    const a = emptyAggregate();
    contribute(a, { step: 'completed', fare: 18.25, currency: 'EUR', tripS: 700, surge: 1.4 });
    for (const zone of [null, '882a100d2bfffff']) {
      const unrevised = toRideMetrics({ city: 'par', zone, startMs: 0, endMs: 60_000 }, a, 0);
      const json = JSON.stringify(unrevised);
      for (const revision of [0, 1, 7, 12_345]) expect(withRevision(json, unrevised, revision)).toBe(JSON.stringify({ ...unrevised, revision }));
    }
  });
});
