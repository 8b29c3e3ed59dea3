import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/warehouse/migrations.js';
import { fileSha256, loadFile } from '../../src/warehouse/load.js';
import { addToBatch, emptyBatch, fileLineToRecord, prepareRecord } from '../../src/warehouse/loader.js';
import { applyBatch, pendingBatches } from '../../src/warehouse/sink.js';
import { PgSession } from '../../src/warehouse/session.js';
import { runChecks } from '../../src/warehouse/checks.js';
import { readOffsets } from '../../src/warehouse/offsets.js';
import { bundleEntry } from '../unit/warehouse/bundle.js';
import { buildWorld, toJsonLines, type World } from '../unit/warehouse/fixtures.js';
import { createTestDatabase, startPrivatePostgres, withClient, type PrivatePostgres } from '../helpers/postgres.js';

interface Counts {
  raw: number;
  distinctPositions: number;
  rides: number;
  rideEvents: number;
  offset: number;
}

async function counts(url: string): Promise<Counts> {
  return withClient(url, async (c) => {
    const r = await c.query<{ raw: string; distinct_positions: string; rides: string; ride_events: string }>(
      `SELECT (SELECT count(*) FROM ridehail.raw_events) AS raw,
              (SELECT count(DISTINCT (stream, "offset")) FROM ridehail.raw_events) AS distinct_positions,
              (SELECT count(*) FROM ridehail.fct_rides) AS rides,
              (SELECT count(*) FROM ridehail.fct_ride_events) AS ride_events`,
    );
    const offsets = await readOffsets(c, 'file');
    const row = r.rows[0]!;
    return {
      raw: Number(row.raw), distinctPositions: Number(row.distinct_positions), rides: Number(row.rides), rideEvents: Number(row.ride_events),
      offset: offsets[0]?.nextOffset ?? 0,
    };
  });
}

function expectComplete(c: Counts, world: World): void {
  expect(c.raw).toBe(world.lines.length);
  expect(c.distinctPositions).toBe(world.lines.length);
  expect(c.rides).toBe(world.enriched.length);
  expect(c.rideEvents).toBe(world.lines.filter((l) => l.topic === 'ride_events').length);
  expect(c.offset).toBe(world.lines.length);
}

function waitForLine(child: ChildProcess, pattern: RegExp, times: number, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let seen = 0;
    const timer = setTimeout(() => reject(new Error(`child never printed ${pattern} ${times} times`)), timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (pattern.test(line) && ++seen >= times) {
        clearTimeout(timer);
        resolvePromise();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (seen < times) reject(new Error(`child exited (${code}) after ${seen} of ${times} ${pattern}`));
    });
  });
}

describe('exactly-once loading across crashes', () => {
  let dir: string;
  let world: World;
  let file: string;
  let childScript: string;
  let cliScript: string;
  let privatePg: PrivatePostgres | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ridehail-whc-'));
    world = buildWorld({ rides: 1500, pingsPerRide: 4 });
    file = join(dir, 'day.jsonl');
    await writeFile(file, toJsonLines(world.lines));
    childScript = await bundleEntry('test/unit/warehouse/load-child.ts', 'load-child');
    cliScript = await bundleEntry('test/unit/warehouse/cli-entry.ts', 'cli');
  });

  afterAll(async () => {
    await privatePg?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a loader killed in the middle of a batch resumes with no loss and no duplicates', async () => {
    const db = await createTestDatabase(inject('databaseUrl'), 'wh_kill');
    try {
      await withClient(db.url, (c) => migrate(c, loadMigrations()));
      // Two batches commit; the third is killed after its COPY, inside its open transaction.
      const child = spawn(process.execPath, [childScript, db.url, file, '500', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await waitForLine(child, /^copied 3 /, 1);
      child.kill('SIGKILL');
      await once(child, 'exit');
      const afterKill = await counts(db.url);
      // What committed is whole, what did not left nothing: staged rows and the stored offset agree.
      expect(afterKill.raw).toBe(1_000);
      expect(afterKill.offset).toBe(1_000);

      const restart = spawn(process.execPath, [childScript, db.url, file, '500', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [code] = (await once(restart, 'exit')) as [number];
      expect(code).toBe(0);
      expectComplete(await counts(db.url), world);
      const failing = (await withClient(db.url, (c) => runChecks(c))).filter((r) => !r.passed);
      expect(failing).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('batches staged but not yet transformed when the loader died are transformed by the next run', async () => {
    const db = await createTestDatabase(inject('databaseUrl'), 'wh_pending');
    try {
      const small = buildWorld({ rides: 20, pingsPerRide: 0 });
      const smallFile = join(dir, 'small.jsonl');
      await writeFile(smallFile, toJsonLines(small.lines));
      const sha = await fileSha256(smallFile);
      // Stage the whole file the way the loader does, and stop before any transform ran.
      const batch = emptyBatch('file', sha, 0, 0);
      small.lines.forEach((line, i) => {
        const record = fileLineToRecord(JSON.stringify(line), sha, i);
        if ('error' in record) throw new Error(record.error);
        addToBatch(batch, prepareRecord(record, 'test-salt'));
      });
      await withClient(db.url, async (c) => {
        await migrate(c, loadMigrations());
        await c.query('INSERT INTO ridehail.loaded_files (sha256, path, lines) VALUES ($1, $2, 0)', [sha, smallFile]);
        await applyBatch(c, batch);
        expect(await pendingBatches(c)).toBe(1);
      });
      expect((await counts(db.url)).rides).toBe(0);

      const session = new PgSession(db.url);
      try {
        const summary = await loadFile(session, smallFile, { salt: 'test-salt' });
        expect(summary.rows).toBe(0);
      } finally {
        await session.close();
      }
      const after = await counts(db.url);
      expect(after.raw).toBe(small.lines.length);
      expect(after.rides).toBe(small.enriched.length);
      expect(await withClient(db.url, (c) => pendingBatches(c))).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it('`warehouse load` killed at a random point and run again loads everything exactly once', async () => {
    const db = await createTestDatabase(inject('databaseUrl'), 'wh_cli');
    try {
      const run = (args: string[]): ChildProcess =>
        spawn(process.execPath, [cliScript, 'warehouse', ...args, '--database-url', db.url], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RIDEHAIL_PII_SALT: 'cli-salt', CI: 'true' } });
      const migrateRun = run(['migrate']);
      expect((await once(migrateRun, 'exit'))[0]).toBe(0);

      const first = run(['load', '--from', file, '--batch-size', '300']);
      // Kill once some batches have committed, wherever the loader is then.
      const deadline = Date.now() + 60_000;
      while ((await counts(db.url)).raw < 1_500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      first.kill('SIGKILL');
      await once(first, 'exit');
      const mid = await counts(db.url);
      expect(mid.raw).toBe(mid.offset);
      expect(mid.raw).toBeLessThan(world.lines.length);

      const second = run(['load', '--from', file, '--batch-size', '300', '--json']);
      let stdout = '';
      second.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      expect((await once(second, 'exit'))[0]).toBe(0);
      const summary = JSON.parse(stdout) as { rows: number };
      expect(summary.rows).toBe(world.lines.length - mid.raw);
      expectComplete(await counts(db.url), world);

      const check = run(['check']);
      expect((await once(check, 'exit'))[0]).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it('a Postgres restart in the middle of a load is survived with no loss and no duplicates', async () => {
    privatePg = await startPrivatePostgres();
    const pgServer = privatePg;
    await withClient(pgServer.url, (c) => migrate(c, loadMigrations()));
    let restarted = false;
    let reconnects = 0;
    const sessionWithLog = new PgSession(pgServer.url, { reconnectForMs: 90_000, onReconnect: () => (reconnects += 1) });
    try {
      const summary = await loadFile(sessionWithLog, file, {
        salt: 'test-salt',
        batchSize: 500,
        apply: {
          afterCopy: async (batchId) => {
            if (restarted || batchId < 4) return;
            restarted = true;
            // Inside an open transaction, after its COPY: the server goes away and comes back.
            await pgServer.stop();
            setTimeout(() => void pgServer.start(), 1_000);
          },
        },
      });
      expect(restarted).toBe(true);
      expect(reconnects).toBeGreaterThan(0);
      expect(summary.rows).toBe(world.lines.length);
    } finally {
      await sessionWithLog.close();
    }
    expectComplete(await counts(pgServer.url), world);
    const failing = (await withClient(pgServer.url, (c) => runChecks(c))).filter((r) => !r.passed);
    expect(failing).toEqual([]);
  }, 180_000);
});
