import { describe, expect, it } from 'vitest';
import { createHistory, HISTORY_SQL } from '../../../src/dashboard/history.js';

describe('createHistory', () => {
  it('queries once per city and range within the TTL however many callers ask', async () => {
    let clock = 0;
    const calls: unknown[][] = [];
    const history = createHistory({
      ttlMs: 60_000,
      now: () => clock,
      query: async (sql, params) => {
        calls.push(params);
        expect(sql).toBe(HISTORY_SQL);
        return {
          rows: [
            { hour: new Date('2026-03-10T10:00:00Z'), requested: '12', completed: '9', cancelled: '2', revenue: '180.456', avg_wait_s: '200.04', avg_fare: '20.051', currency: 'USD' },
          ],
        };
      },
    });
    const results = await Promise.all(Array.from({ length: 100 }, () => history.get('nyc', 24)));
    expect(calls).toEqual([['nyc', 24]]);
    expect(results[0]).toMatchObject({
      available: true,
      currency: 'USD',
      points: [{ t: Date.parse('2026-03-10T10:00:00Z'), requested: 12, completed: 9, cancelled: 2, revenue: 180.46, avgWaitS: 200, avgFare: 20.05 }],
    });
    await history.get('lon', 24);
    await history.get('nyc', 6);
    expect(history.queries()).toBe(3);
    clock = 61_000;
    await history.get('nyc', 24);
    expect(history.queries()).toBe(4);
  });

  it('reports a missing warehouse table as unavailable history, not as an error', async () => {
    const history = createHistory({
      query: async () => {
        throw Object.assign(new Error('relation "ridehail.fct_rides" does not exist'), { code: '42P01' });
      },
    });
    const result = await history.get('nyc', 24);
    expect(result).toMatchObject({ available: false, points: [] });
    expect(result.reason).toMatch(/fct_rides/);
  });

  it('retries a failed query sooner than a successful one would be refreshed', async () => {
    let clock = 0;
    let fail = true;
    const history = createHistory({
      ttlMs: 300_000,
      now: () => clock,
      query: async () => {
        if (fail) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return { rows: [] };
      },
    });
    expect((await history.get('nyc', 24)).available).toBe(false);
    await Promise.resolve();
    fail = false;
    clock = 5_000;
    expect((await history.get('nyc', 24)).available).toBe(false);
    clock = 11_000;
    expect((await history.get('nyc', 24)).available).toBe(true);
  });
});
