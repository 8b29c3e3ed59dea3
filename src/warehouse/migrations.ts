import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { RidehailError } from '../cli/errors.js';

/**
 * Forward-only, versioned SQL migrations: `NNNN_name.sql`, applied in order, each once, each in
 * its own transaction. A checksum per applied file makes editing history an error instead of a
 * silent divergence between warehouses.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  pending: Migration[];
  /** Applied versions whose file changed since: the warehouse refuses to migrate past them. */
  modified: { version: number; name: string }[];
  /** Applied versions this build does not know (the database is newer than the code). */
  unknown: AppliedMigration[];
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;
/** Any constant both migrators agree on; pg_advisory_xact_lock takes a bigint. */
export const MIGRATION_LOCK_KEY = 7_294_001;

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The SQL files sit next to this module in src/, while tsc copies no .sql to dist/: from
 * dist/warehouse (or any bundle two levels below the package root) they are found in the
 * package's src/warehouse/migrations.
 */
export function migrationsDir(): string {
  const candidates = [join(here, 'migrations'), join(here, '..', '..', 'src', 'warehouse', 'migrations')];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new RidehailError(`warehouse migrations not found (looked in ${candidates.join(', ')})`);
  return found;
}

export function checksum(sql: string): string {
  // Line endings must not make a checked-out-on-Windows file look edited.
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export function parseMigrationFiles(files: readonly { file: string; sql: string }[]): Migration[] {
  const migrations: Migration[] = [];
  for (const { file, sql } of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) continue;
    migrations.push({ version: Number(match[1]), name: match[2] ?? file, sql, checksum: checksum(sql) });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.version === migrations[i - 1]?.version) {
      throw new RidehailError(`two warehouse migrations share version ${migrations[i]?.version}`);
    }
  }
  return migrations;
}

export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  const files = readdirSync(dir)
    .filter((file) => FILE_PATTERN.test(file))
    .map((file) => ({ file, sql: readFileSync(join(dir, file), 'utf8') }));
  return parseMigrationFiles(files);
}

/** Pure: what the recorded history and the files on disk say about each other. */
export function planMigrations(known: readonly Migration[], applied: readonly AppliedMigration[]): MigrationStatus {
  const byVersion = new Map(known.map((m) => [m.version, m]));
  const appliedVersions = new Set(applied.map((a) => a.version));
  return {
    applied: [...applied],
    pending: known.filter((m) => !appliedVersions.has(m.version)),
    modified: applied
      .filter((a) => byVersion.has(a.version) && byVersion.get(a.version)?.checksum !== a.checksum)
      .map((a) => ({ version: a.version, name: a.name })),
    unknown: applied.filter((a) => !byVersion.has(a.version)),
  };
}

const CREATE_HISTORY = `
CREATE SCHEMA IF NOT EXISTS ridehail;
CREATE TABLE IF NOT EXISTS ridehail.schema_migrations (
  version    integer PRIMARY KEY,
  name       text        NOT NULL,
  checksum   text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

async function readApplied(client: pg.ClientBase): Promise<AppliedMigration[]> {
  const exists = await client.query<{ present: boolean }>(
    "SELECT to_regclass('ridehail.schema_migrations') IS NOT NULL AS present",
  );
  if (!exists.rows[0]?.present) return [];
  const result = await client.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
    'SELECT version, name, checksum, applied_at FROM ridehail.schema_migrations ORDER BY version',
  );
  return result.rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAt: r.applied_at }));
}

export async function migrationStatus(client: pg.ClientBase, known: readonly Migration[] = loadMigrations()): Promise<MigrationStatus> {
  return planMigrations(known, await readApplied(client));
}

function refuseModified(status: MigrationStatus): void {
  const first = status.modified[0];
  if (first) {
    throw new RidehailError(
      `warehouse migration ${String(first.version).padStart(4, '0')}_${first.name} was edited after it was applied (checksum differs)`,
      { hint: 'migrations are forward-only: revert the edit and add a new migration instead' },
    );
  }
}

export interface MigrateOptions {
  /** Stop after this version (tests walk the history one version at a time). */
  to?: number;
  onApplied?: (migration: Migration, ms: number) => void;
}

/**
 * Applies pending migrations. Each runs in one transaction holding a transaction-level advisory
 * lock, and re-checks inside it that nobody applied it meanwhile, so two migrators started at
 * once apply every migration exactly once between them.
 */
export async function migrate(client: pg.ClientBase, known: readonly Migration[] = loadMigrations(), options: MigrateOptions = {}): Promise<Migration[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_HISTORY);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  refuseModified(await migrationStatus(client, known));

  const appliedNow: Migration[] = [];
  for (const migration of known) {
    if (options.to !== undefined && migration.version > options.to) break;
    const started = Date.now();
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const done = await client.query<{ checksum: string }>('SELECT checksum FROM ridehail.schema_migrations WHERE version = $1', [migration.version]);
      if (done.rows[0]) {
        await client.query('ROLLBACK');
        if (done.rows[0].checksum !== migration.checksum) refuseModified({ applied: [], pending: [], unknown: [], modified: [migration] });
        continue;
      }
      // A migration file is a static script in the repo, never built from input: simple query protocol, no parameters.
      await client.query(migration.sql);
      await client.query('INSERT INTO ridehail.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new RidehailError(`warehouse migration ${String(migration.version).padStart(4, '0')}_${migration.name} failed: ${(error as Error).message}`, { cause: error });
    }
    appliedNow.push(migration);
    options.onApplied?.(migration, Date.now() - started);
  }
  return appliedNow;
}

/** Loading into a warehouse that is behind the code would fail on missing tables; say why up front. */
export async function assertMigrated(client: pg.ClientBase, known: readonly Migration[] = loadMigrations()): Promise<void> {
  const status = await migrationStatus(client, known);
  refuseModified(status);
  if (status.pending.length > 0) {
    throw new RidehailError(`the warehouse schema is not up to date (${status.pending.length} pending migration(s))`, {
      hint: 'run `ridehail warehouse migrate` first',
    });
  }
}
