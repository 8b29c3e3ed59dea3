/**
 * `npm run bench:warehouse`: rows/s of `warehouse load --from FILE` beside a plain COPY of the
 * same staged rows into the same table (raw_events), the ceiling; reports the ratio (target ≥ 0.8).
 *
 * Env: RIDEHAIL_BENCH_DATABASE_URL (a server URL; a database per run is created on it), else a
 * private embedded Postgres is started for the run. RIDEHAIL_BENCH_RIDES (default 10000) sizes
 * the data: each ride brings ~6 ride events, an enriched ride, a rating and RIDEHAIL_BENCH_PINGS
 * (default 10) location pings.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { copyInto } from '../src/warehouse/copy.js';
import { loadFile } from '../src/warehouse/load.js';
import { addToBatch, batchSize, emptyBatch, fileLineToRecord, prepareRecord, RAW_COPY_COLUMNS, stagedCopyLines, type Batch } from '../src/warehouse/loader.js';
import { loadMigrations, migrate } from '../src/warehouse/migrations.js';
import { PgSession } from '../src/warehouse/session.js';
import { buildWorld, toJsonLines } from '../test/unit/warehouse/fixtures.js';
import { createTestDatabase, startPrivatePostgres, withClient, type PrivatePostgres } from '../test/helpers/postgres.js';

const rides = Number(process.env['RIDEHAIL_BENCH_RIDES'] ?? 10_000);
const pings = Number(process.env['RIDEHAIL_BENCH_PINGS'] ?? 10);
const BATCH = 5_000;
const SALT = 'bench';

async function main(): Promise<void> {
  let privatePg: PrivatePostgres | undefined;
  const server = process.env['RIDEHAIL_BENCH_DATABASE_URL'] ?? (privatePg = await startPrivatePostgres()).url;
  const dir = await mkdtemp(join(tmpdir(), 'ridehail-bench-'));
  const dbs: { url: string; drop: () => Promise<void> }[] = [];
  try {
    const world = buildWorld({ rides, pingsPerRide: pings });
    const file = join(dir, 'bench.jsonl');
    const text = toJsonLines(world.lines);
    await writeFile(file, text);
    console.log(`${world.lines.length.toLocaleString('en-US')} records (${(text.length / 1e6).toFixed(1)} MB; ${rides} rides, ${pings} pings per ride), batches of ${BATCH}`);

    // The ceiling: the same rows, already staged in memory, COPYed in the same batches, one transaction each.
    const lines = text.split('\n').filter((l) => l !== '');
    const prepareStarted = performance.now();
    const batches: Batch[] = [];
    let batch = emptyBatch('file', 'bench', 0, 0);
    lines.forEach((line, i) => {
      const record = fileLineToRecord(line, 'bench', i);
      if ('error' in record) throw new Error(record.error);
      addToBatch(batch, prepareRecord(record, SALT));
      if (batchSize(batch) >= BATCH) {
        batches.push(batch);
        batch = emptyBatch('file', 'bench', 0, i + 1);
      }
    });
    if (batchSize(batch) > 0) batches.push(batch);
    const staged = batches.map((b, i) => [...stagedCopyLines(b, i + 1)]);
    const prepareMs = performance.now() - prepareStarted;

    const copyDb = await createTestDatabase(server, 'bench_copy');
    dbs.push(copyDb);
    const loadDb = await createTestDatabase(server, 'bench_load');
    dbs.push(loadDb);
    for (const db of dbs) await withClient(db.url, (c) => migrate(c, loadMigrations()));

    const copyStatement = `COPY ridehail.raw_events (${RAW_COPY_COLUMNS.map((c) => (c === 'offset' ? '"offset"' : c)).join(', ')}) FROM STDIN`;
    const copyMs = await withClient(copyDb.url, async (client: pg.Client) => {
      const started = performance.now();
      for (const chunk of staged) {
        await client.query('BEGIN');
        await copyInto(client, copyStatement, chunk);
        await client.query('COMMIT');
      }
      return performance.now() - started;
    });

    const session = new PgSession(loadDb.url);
    let loadMs: number;
    let loaded: number;
    try {
      const started = performance.now();
      const summary = await loadFile(session, file, { salt: SALT, batchSize: BATCH });
      loadMs = performance.now() - started;
      loaded = summary.rows;
    } finally {
      await session.close();
    }
    const copyRate = (lines.length / copyMs) * 1000;
    const loadRate = (loaded / loadMs) * 1000;
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    console.log(`plain COPY into raw_events : ${fmt(copyRate)} rows/s (${(copyMs / 1000).toFixed(2)} s)`);
    console.log(`warehouse load (end to end): ${fmt(loadRate)} rows/s (${(loadMs / 1000).toFixed(2)} s: parse, validate, pseudonymise, COPY, transforms, offsets)`);
    console.log(`ratio load / COPY          : ${(loadRate / copyRate).toFixed(2)} (target ≥ 0.80)`);
    console.log(`  of which, in Node: parse + validate + pseudonymise + format ${(prepareMs / 1000).toFixed(2)} s (overlapped with the previous batch's transaction)`);
  } finally {
    for (const db of dbs) await db.drop().catch(() => undefined);
    await privatePg?.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
