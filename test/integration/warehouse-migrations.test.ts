import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import { loadMigrations, migrate, migrationStatus, type Migration } from '../../src/warehouse/migrations.js';
import { createTestDatabase, withClient } from '../helpers/postgres.js';

/** Every relation and column of the ridehail schema, to compare two warehouses' shapes. */
async function schemaShape(client: pg.ClientBase): Promise<string[]> {
  const result = await client.query<{ line: string }>(
    `SELECT c.relname || ' ' || c.relkind::text || coalesce(' ' || a.attname::text || ':' || format_type(a.atttypid, a.atttypmod), '') AS line
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'ridehail'
      ORDER BY 1`,
  );
  return result.rows.map((r) => r.line);
}

describe('warehouse migrate', () => {
  const server = (): string => inject('databaseUrl');
  const known = loadMigrations();
  let reference: string[];
  const dbs: { drop: () => Promise<void> }[] = [];

  const freshDb = async (): Promise<string> => {
    const db = await createTestDatabase(server(), 'wh_mig');
    dbs.push(db);
    return db.url;
  };

  beforeAll(async () => {
    const url = await freshDb();
    reference = await withClient(url, async (c) => {
      await migrate(c, known);
      return schemaShape(c);
    });
  });

  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('finds its numbered SQL files in order', () => {
    expect(known.map((m) => m.version)).toEqual([1, 2, 3, 4]);
    expect(known.every((m) => /^[0-9a-f]{64}$/.test(m.checksum))).toBe(true);
  });

  it('migrates an empty database to the full schema and records every version', async () => {
    const url = await freshDb();
    await withClient(url, async (c) => {
      const applied = await migrate(c, known);
      expect(applied.map((m) => m.version)).toEqual([1, 2, 3, 4]);
      const status = await migrationStatus(c, known);
      expect(status.pending).toEqual([]);
      expect(status.applied.map((a) => a.version)).toEqual([1, 2, 3, 4]);
      expect(await schemaShape(c)).toEqual(reference);
    });
  });

  for (const from of [1, 2, 3]) {
    it(`upgrades a warehouse at version ${from} to the same schema as a fresh one`, async () => {
      const url = await freshDb();
      await withClient(url, async (c) => {
        await migrate(c, known, { to: from });
        const midway = await migrationStatus(c, known);
        expect(midway.applied.map((a) => a.version)).toEqual(known.filter((m) => m.version <= from).map((m) => m.version));
        expect(midway.pending.map((m) => m.version)).toEqual(known.filter((m) => m.version > from).map((m) => m.version));
        const applied = await migrate(c, known);
        expect(applied.map((m) => m.version)).toEqual(known.filter((m) => m.version > from).map((m) => m.version));
        expect(await schemaShape(c)).toEqual(reference);
      });
    });
  }

  it('running it again applies nothing', async () => {
    const url = await freshDb();
    await withClient(url, async (c) => {
      await migrate(c, known);
      expect(await migrate(c, known)).toEqual([]);
    });
  });

  it('refuses to run when an applied migration was edited since', async () => {
    const url = await freshDb();
    await withClient(url, async (c) => {
      await migrate(c, known, { to: 2 });
      const edited: Migration[] = known.map((m) => (m.version === 2 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: 'f'.repeat(64) } : m));
      await expect(migrate(c, edited)).rejects.toThrow(/0002_dimensions was edited after it was applied/);
      const status = await migrationStatus(c, edited);
      expect(status.modified.map((m) => m.version)).toEqual([2]);
      // Nothing past the edited one was applied.
      expect(status.applied.map((a) => a.version)).toEqual([1, 2]);
    });
  });

  it('two migrators started at once apply each migration exactly once', async () => {
    const url = await freshDb();
    const results = await Promise.all([
      withClient(url, (c) => migrate(c, known)),
      withClient(url, (c) => migrate(c, known)),
    ]);
    const appliedVersions = results.flat().map((m) => m.version).sort();
    expect(appliedVersions).toEqual([1, 2, 3, 4]);
    await withClient(url, async (c) => expect(await schemaShape(c)).toEqual(reference));
  });

  it('rolls a failing migration back whole and reports which one failed', async () => {
    const url = await freshDb();
    const broken: Migration[] = [
      ...known,
      { version: 99, name: 'broken', sql: 'CREATE TABLE ridehail.half_done (x int); SELECT 1/0;', checksum: '0'.repeat(64) },
    ];
    await withClient(url, async (c) => {
      await expect(migrate(c, broken)).rejects.toThrow(/0099_broken failed: division by zero/);
      const exists = await c.query<{ present: boolean }>("SELECT to_regclass('ridehail.half_done') IS NOT NULL AS present");
      expect(exists.rows[0]?.present).toBe(false);
      expect((await migrationStatus(c, broken)).pending.map((m) => m.version)).toEqual([99]);
    });
  });
});
