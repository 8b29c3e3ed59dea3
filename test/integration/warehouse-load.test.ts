import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/warehouse/migrations.js';
import { loadFile } from '../../src/warehouse/load.js';
import { PgSession } from '../../src/warehouse/session.js';
import { runChecks } from '../../src/warehouse/checks.js';
import { refreshMarts } from '../../src/warehouse/marts.js';
import { warehouseStatus } from '../../src/warehouse/status.js';
import { buildWorld, enrichedRide, toJsonLines, type World } from '../unit/warehouse/fixtures.js';
import { createTestDatabase, withClient } from '../helpers/postgres.js';

const SALT = 'test-salt';

describe('warehouse load from a file', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dir: string;
  let world: World;
  let file: string;

  beforeAll(async () => {
    db = await createTestDatabase(inject('databaseUrl'), 'wh_load');
    await withClient(db.url, (c) => migrate(c, loadMigrations()));
    dir = await mkdtemp(join(tmpdir(), 'ridehail-wh-'));
    world = buildWorld({ rides: 60, pingsPerRide: 3 });
    file = join(dir, 'day.jsonl');
    await writeFile(file, toJsonLines(world.lines));
  });

  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const snapshot = (url: string): Promise<Record<string, number>> =>
    withClient(url, async (c) => Object.fromEntries((await warehouseStatus(c)).tables.map((t) => [t.table, t.rows])));

  it('loads every line of the file into staging, dimensions and facts', async () => {
    const session = new PgSession(db.url);
    try {
      const summary = await loadFile(session, file, { salt: SALT, batchSize: 50 });
      expect(summary.rows).toBe(world.lines.length);
      expect(summary.rejected).toBe(0);
    } finally {
      await session.close();
    }
    const counts = await snapshot(db.url);
    expect(counts['raw_events']).toBe(world.lines.length);
    expect(counts['fct_rides']).toBe(world.enriched.length);
    expect(counts['fct_ride_events']).toBe(world.lines.filter((l) => l.topic === 'ride_events').length);
    expect(counts['dim_customer']).toBeGreaterThan(0);
    expect(counts['dim_city']).toBe(1);
  });

  it('re-loading the same file changes nothing', async () => {
    const before = await snapshot(db.url);
    const session = new PgSession(db.url);
    try {
      const summary = await loadFile(session, file, { salt: SALT, batchSize: 50 });
      expect(summary.rows).toBe(0);
    } finally {
      await session.close();
    }
    expect(await snapshot(db.url)).toEqual(before);
  });

  it('a copy of the file under another name is recognised by its content', async () => {
    const before = await snapshot(db.url);
    const copy = join(dir, 'renamed.jsonl');
    await writeFile(copy, toJsonLines(world.lines));
    const session = new PgSession(db.url);
    try {
      expect((await loadFile(session, copy, { salt: SALT })).rows).toBe(0);
    } finally {
      await session.close();
    }
    expect(await snapshot(db.url)).toEqual(before);
  });

  it('a late correction with a higher revision updates the ride, a lower one does not', async () => {
    const original = world.enriched.find((e) => e.status === 'completed');
    if (!original) throw new Error('fixture has no completed ride');
    const corrected = { ...original, fare_total: (original.fare_total ?? 0) + 5, revision: 2 };
    const stale = { ...original, fare_total: 1, revision: 1 };
    const corrections = join(dir, 'corrections.jsonl');
    await writeFile(corrections, toJsonLines([
      { topic: 'enriched_rides', key: original.ride_id, value: corrected as unknown as Record<string, unknown> },
      { topic: 'enriched_rides', key: original.ride_id, value: stale as unknown as Record<string, unknown> },
    ]));
    const session = new PgSession(db.url);
    try {
      await loadFile(session, corrections, { salt: SALT });
    } finally {
      await session.close();
    }
    const row = await withClient(db.url, (c) =>
      c.query<{ revision: number; fare_total: string }>('SELECT revision, fare_total FROM ridehail.fct_rides WHERE ride_id = $1', [original.ride_id]),
    );
    expect(row.rows[0]?.revision).toBe(2);
    expect(Number(row.rows[0]?.fare_total)).toBeCloseTo(corrected.fare_total, 2);
  });

  it('every named check passes on a loaded day', async () => {
    const results = await withClient(db.url, async (c) => {
      await refreshMarts(c);
      return runChecks(c);
    });
    for (const result of results) expect({ name: result.name, sample: result.sample }).toEqual({ name: result.name, sample: [] });
    expect(results.length).toBeGreaterThanOrEqual(8);
  });

  it('a driver whose rating band changes gets a new version and exactly one current row', async () => {
    const versions = await withClient(db.url, (c) =>
      c.query<{ driver_id: string; n: string; current: string }>(
        `SELECT driver_id, count(*) AS n, count(*) FILTER (WHERE is_current) AS current
           FROM ridehail.dim_driver GROUP BY driver_id ORDER BY count(*) DESC LIMIT 1`,
      ),
    );
    expect(Number(versions.rows[0]?.n)).toBeGreaterThan(1);
    expect(Number(versions.rows[0]?.current)).toBe(1);
  });

  it('never stores a name, phone number, email, licence or plate in clear, in any text or json column', async () => {
    const found = await withClient(db.url, async (c) => {
      const columns = await c.query<{ table_schema: string; table_name: string; column_name: string }>(
        `SELECT c.table_schema, c.table_name, c.column_name
           FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_schema, table_name)
          WHERE c.table_schema = 'ridehail' AND t.table_type = 'BASE TABLE'
            AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'character')`,
      );
      const hits: string[] = [];
      for (const col of columns.rows) {
        const table = `${c.escapeIdentifier(col.table_schema)}.${c.escapeIdentifier(col.table_name)}`;
        const column = c.escapeIdentifier(col.column_name);
        // Identifiers come from the catalogue and are escaped; the searched values are parameters.
        const result = await c.query<{ hit: string }>(
          `SELECT needle AS hit FROM unnest($1::text[]) AS needle
            WHERE EXISTS (SELECT 1 FROM ${table} WHERE position(lower(needle) IN lower(${column}::text)) > 0)`,
          [world.pii],
        );
        for (const r of result.rows) hits.push(`${col.table_name}.${col.column_name}: ${r.hit}`);
      }
      return hits;
    });
    expect(world.pii.length).toBeGreaterThan(10);
    expect(found).toEqual([]);
  });

  it('a record that breaks the contract is rejected with its reason and does not block the rest', async () => {
    const bad = join(dir, 'bad.jsonl');
    const good = buildWorld({ rides: 1, customers: 1, drivers: 1, pingsPerRide: 0, city: 'ber', timeZone: 'Europe/Berlin' });
    await writeFile(bad, 'not json\n' + JSON.stringify({ topic: 'ride_events', key: 'x', value: { event_type: 'nonsense' } }) + '\n' + toJsonLines(good.lines));
    const session = new PgSession(db.url);
    try {
      const summary = await loadFile(session, bad, { salt: SALT });
      expect(summary.rejected).toBe(2);
      expect(summary.rows).toBe(good.lines.length);
    } finally {
      await session.close();
    }
    const rejects = await withClient(db.url, (c) => c.query<{ reason: string }>('SELECT reason FROM ridehail.load_rejects ORDER BY "offset"'));
    expect(rejects.rows.map((r) => r.reason)).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/ride_events\.schema\.json/)]);
  });

  it('duplicates of one event are staged as received but count once in the facts', async () => {
    const dupes = buildWorld({ rides: 2, customers: 1, drivers: 1, pingsPerRide: 0, city: 'par', timeZone: 'Europe/Paris' });
    const rideLines = dupes.lines.filter((l) => l.topic === 'ride_events');
    const file2 = join(dir, 'dupes.jsonl');
    await writeFile(file2, toJsonLines([...dupes.lines, ...rideLines]));
    const session = new PgSession(db.url);
    try {
      await loadFile(session, file2, { salt: SALT });
    } finally {
      await session.close();
    }
    const counts = await withClient(db.url, (c) =>
      c.query<{ staged: string; facts: string }>(
        `SELECT (SELECT count(*) FROM ridehail.raw_events WHERE topic = 'ride_events' AND payload->>'city' = 'par') AS staged,
                (SELECT count(*) FROM ridehail.fct_ride_events WHERE city_code = 'par') AS facts`,
      ),
    );
    expect(Number(counts.rows[0]?.staged)).toBe(rideLines.length * 2);
    expect(Number(counts.rows[0]?.facts)).toBe(rideLines.length);
  });

  it('a single enriched ride loads with the city time zone it carries', async () => {
    const ride = enrichedRide({
      rideId: 'ride_tz1', city: 'tyo', customer: 'cus_9', driver: null, vehicle: null, pickup: { lat: 35.6, lon: 139.7 }, dropoff: { lat: 35.7, lon: 139.8 },
      timeZone: 'Asia/Tokyo', requested: Date.parse('2026-03-02T15:30:00.000Z'), assigned: null, arrived: null, started: null,
      ended: Date.parse('2026-03-02T15:31:00.000Z'), status: 'cancelled', surge: null, fare: null, distanceKm: 2,
    });
    const one = join(dir, 'one.jsonl');
    await writeFile(one, toJsonLines([{ topic: 'enriched_rides', key: ride.ride_id, value: ride as unknown as Record<string, unknown> }]));
    const session = new PgSession(db.url);
    try {
      await loadFile(session, one, { salt: SALT });
    } finally {
      await session.close();
    }
    const row = await withClient(db.url, (c) =>
      c.query<{ time_zone: string; local_date: string; date_key: number }>(
        "SELECT c.time_zone, r.local_date::text AS local_date, r.date_key FROM ridehail.fct_rides r JOIN ridehail.dim_city c USING (city_code) WHERE r.ride_id = 'ride_tz1'",
      ),
    );
    expect(row.rows[0]).toEqual({ time_zone: 'Asia/Tokyo', local_date: '2026-03-03', date_key: 20260303 });
  });
});
