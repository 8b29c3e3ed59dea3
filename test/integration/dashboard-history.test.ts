import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createHistory, postgresHistory } from '../../src/dashboard/history.js';

const databaseUrl = inject('databaseUrl');

describe.skipIf(!databaseUrl)('warehouse history against Postgres', () => {
  // A schema of the test's own, rolled back at the end, so the warehouse's real tables are untouched.
  const schema = `dash_hist_${randomBytes(3).toString('hex')}`;
  const client = new pg.Client({ connectionString: databaseUrl });

  beforeAll(async () => {
    await client.connect();
    await client.query('BEGIN');
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET LOCAL search_path = ${schema}`);
    await client.query(`CREATE TABLE fct_rides (
      ride_id text PRIMARY KEY, city text NOT NULL, status text NOT NULL, requested_at timestamptz NOT NULL,
      ended_at timestamptz NOT NULL, fare_total numeric, currency text, wait_time_s numeric)`);
    await client.query(`INSERT INTO fct_rides VALUES
      ('ride_1', 'nyc', 'completed', date_trunc('hour', now()) - interval '2 hours' + interval '5 min', date_trunc('hour', now()) - interval '2 hours' + interval '25 min', 20.50, 'USD', 180),
      ('ride_2', 'nyc', 'completed', date_trunc('hour', now()) - interval '2 hours' + interval '10 min', date_trunc('hour', now()) - interval '1 hour' + interval '5 min', 30.00, 'USD', 240),
      ('ride_3', 'nyc', 'cancelled', date_trunc('hour', now()) - interval '1 hour' + interval '1 min', date_trunc('hour', now()) - interval '1 hour' + interval '3 min', NULL, 'USD', NULL),
      ('ride_4', 'lon', 'completed', date_trunc('hour', now()) - interval '1 hour', date_trunc('hour', now()) - interval '1 hour' + interval '20 min', 12.00, 'GBP', 100),
      ('ride_5', 'nyc', 'completed', now() - interval '3 days', now() - interval '3 days', 99.00, 'USD', 100)`);
  });

  afterAll(async () => {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  });

  it('buckets requests by the hour they were made and fares by the hour the ride ended', async () => {
    const history = createHistory({ query: (sql, params) => client.query(sql, params) });
    const result = await history.get('nyc', 4);
    expect(result.available).toBe(true);
    expect(result.currency).toBe('USD');
    expect(result.points).toHaveLength(4);
    const [, twoAgo, oneAgo, current] = result.points;
    expect(twoAgo).toMatchObject({ requested: 2, completed: 1, cancelled: 0, revenue: 20.5, avgFare: 20.5, avgWaitS: 180 });
    expect(oneAgo).toMatchObject({ requested: 1, completed: 1, cancelled: 1, revenue: 30, avgWaitS: 240 });
    expect(current).toMatchObject({ requested: 0, completed: 0, revenue: 0, avgFare: null });
    expect(result.points.map((p) => p.t)).toEqual([...result.points.map((p) => p.t)].sort((a, b) => a - b));
  });

  it('answers from the ridehail schema, or says why there is no history yet', async () => {
    const history = postgresHistory(databaseUrl);
    try {
      const result = await history.get('nyc', 24);
      // Either the database has no ridehail schema (unavailable) or the warehouse built it (available).
      if (result.available) expect(result.points).toHaveLength(24);
      else expect(result.reason).toMatch(/fct_rides/);
    } finally {
      await history.close();
    }
  });
});
