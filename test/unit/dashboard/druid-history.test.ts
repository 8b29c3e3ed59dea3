import { describe, expect, it } from 'vitest';
import { druidHistorySql, mergeHourlyRows } from '../../../src/dashboard/druid-history.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-10T10:00:00.000Z');

describe('history from Druid', () => {
  it('fills every hour of the range, oldest first, with zeros where Druid had no rows', () => {
    const rows = mergeHourlyRows(
      T0,
      3,
      [{ hour: '2026-03-10T11:00:00.000Z', completed: 4, cancelled: 1, revenue: 80.5, avg_wait_s: 120, avg_fare: 20.125, currency: 'USD' }],
      [{ hour: '2026-03-10T10:00:00.000Z', requested: 3 }, { hour: '2026-03-10T11:00:00.000Z', requested: 2 }],
    );
    expect(rows.map((r) => (r.hour as Date).getTime())).toEqual([T0, T0 + HOUR, T0 + 2 * HOUR]);
    expect(rows[0]).toMatchObject({ requested: 3, completed: 0, cancelled: 0, revenue: 0, avg_wait_s: null, avg_fare: null });
    expect(rows[1]).toMatchObject({ requested: 2, completed: 4, cancelled: 1, revenue: 80.5, avg_fare: 20.125, currency: 'USD' });
    expect(rows[2]).toMatchObject({ requested: 0, completed: 0 });
  });

  it('binds the city and the time as parameters and refuses a datasource name that could break out of its quotes', () => {
    const sql = druidHistorySql('e2e_enriched_rides');
    expect(sql.ended).toContain('FROM "e2e_enriched_rides" WHERE city = ? AND revision = 0');
    expect(sql.requested).toContain('TIME_PARSE(requested_at) >= MILLIS_TO_TIMESTAMP(?)');
    expect(`${sql.ended}${sql.requested}`).not.toMatch(/nyc|\d{13}/);
    for (const bad of ['rides" UNION SELECT 1 --', 'a b', '']) expect(() => druidHistorySql(bad), bad).toThrow(/not a datasource name/);
  });
});
