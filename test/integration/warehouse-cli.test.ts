import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleEntry } from '../unit/warehouse/bundle.js';
import { buildWorld, toJsonLines } from '../unit/warehouse/fixtures.js';
import { createTestDatabase } from '../helpers/postgres.js';

describe('ridehail warehouse (the command)', () => {
  let cli: string;
  let dir: string;
  let file: string;
  let db: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    cli = await bundleEntry('test/unit/warehouse/cli-entry.ts', 'cli');
    dir = await mkdtemp(join(tmpdir(), 'ridehail-whcli-'));
    file = join(dir, 'day.jsonl');
    await writeFile(file, toJsonLines(buildWorld({ rides: 50 }).lines));
    db = await createTestDatabase(inject('databaseUrl'), 'wh_cmd');
  });

  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [cli, 'warehouse', ...args, '--database-url', db.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RIDEHAIL_PII_SALT: 'cmd-salt', CI: 'true', NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    return { code, stdout, stderr };
  }

  it('refuses to load into a warehouse that is not migrated, saying what to run', async () => {
    const result = await run('load', '--from', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not up to date/);
  });

  it('lists pending migrations, applies them, then lists them as applied', async () => {
    const before = JSON.parse((await run('migrate', '--status', '--json')).stdout) as { pending: unknown[] };
    expect(before.pending).toHaveLength(4);
    const applied = await run('migrate');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/applied 0001_staging/);
    const after = JSON.parse((await run('migrate', '--status', '--json')).stdout) as { pending: unknown[]; applied: unknown[] };
    expect(after).toMatchObject({ pending: [], applied: [{}, {}, {}, {}] });
  });

  it('loads a file, then shows its counts, offsets and last event time in status', async () => {
    const load = await run('load', '--from', file, '--json');
    expect(load.code).toBe(0);
    const summary = JSON.parse(load.stdout) as { rows: number; rejected: number };
    expect(summary.rows).toBeGreaterThan(0);
    const status = JSON.parse((await run('status', '--no-kafka', '--json')).stdout) as {
      tables: { table: string; rows: number }[]; offsets: { origin: string; nextOffset: number }[]; lastEventTime: string | null;
    };
    expect(status.tables.find((t) => t.table === 'raw_events')?.rows).toBe(summary.rows);
    expect(status.offsets).toMatchObject([{ origin: 'file', nextOffset: summary.rows }]);
    expect(status.lastEventTime).toMatch(/^2026-/);
  });

  it('refreshes the marts and passes every check', async () => {
    const refresh = JSON.parse((await run('refresh', '--json')).stdout) as { mart: string; rows: number }[];
    expect(refresh.map((r) => r.mart)).toEqual(['mart_city_hourly_kpis', 'mart_driver_daily', 'mart_cancellation_reasons']);
    expect(refresh.every((r) => r.rows > 0)).toBe(true);
    const check = await run('check');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/assert_one_current_row_per_driver\s+pass/);
  });

  it('answers a bad request with one line and exit code 2', async () => {
    const follow = await run('load', '--from', file, '--follow');
    expect(follow.code).toBe(2);
    expect(follow.stderr.trim().split('\n')).toHaveLength(1);
    const unknown = await run('check', 'assert_nonsense');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no such check: assert_nonsense/);
  });
});
