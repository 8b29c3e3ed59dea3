/**
 * `ridehail local up --druid`, `local status` and `local down` as a user runs them: the real CLI
 * in child processes, on free ports in a temporary RIDEHAIL_HOME, starting a real Kafka, Postgres
 * and the six Druid processes. The Druid distribution is fetched by `.ci/run`; in CI a missing
 * one fails this file, elsewhere it is skipped with the reason.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRUID_STACK_PROCESSES, DRUID_TASK_SLOTS, DRUID_ZOOKEEPER_OFFSET } from '../../src/local/druid-stack.js';
import { ensureDruidDistribution } from '../../src/local/druid.js';
import { findFreePort, findFreePortBase } from '../../src/local/free-port.js';
import { CONTROLLER_PORT_OFFSET } from '../../src/local/kafka-topology.js';
import { down } from '../../src/local/stack.js';
import { cliCommand, runCli, type CliRun } from '../helpers/cli.js';
import { makeTempRoot, testCacheDir } from '../helpers/stack.js';

interface StatusJson {
  running: boolean;
  processes: { name: string; role: string; pid: number | null; port: number; health: string }[];
  connection?: { DRUID_URL?: string; DATABASE_URL?: string };
}

/** Running, not merely a zombie waiting for init to reap it (the CLI that spawned it has exited). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    // Gone between the two looks, or no /proc (macOS), where signal 0 is all we can know.
    return process.platform !== 'linux';
  }
}

describe('ridehail local up --druid', () => {
  let root = '';
  let env: NodeJS.ProcessEnv = {};
  let unavailable: string | undefined;
  let routerPort = 0;
  let postgresPort = 0;

  const cli = (...args: string[]): Promise<CliRun> => runCli(args, env);
  const status = async (): Promise<StatusJson> => JSON.parse((await cli('local', 'status', '--json')).stdout) as StatusJson;

  beforeAll(async () => {
    try {
      await ensureDruidDistribution(testCacheDir(), () => undefined);
    } catch (error) {
      if (process.env['CI'] === 'true') throw error;
      unavailable = (error as Error).message.split('\n')[0];
      return;
    }
    root = await makeTempRoot('ridehail-local-druid-');
    routerPort = await findFreePortBase([0, 1, 2, 3, 4, 5, DRUID_ZOOKEEPER_OFFSET]);
    postgresPort = await findFreePort();
    env = {
      RIDEHAIL_HOME: join(root, '.ridehail'),
      RIDEHAIL_KAFKA_PORT: String(await findFreePortBase([0, CONTROLLER_PORT_OFFSET])),
      RIDEHAIL_POSTGRES_PORT: String(postgresPort),
      DRUID_URL: `http://127.0.0.1:${routerPort}`,
    };
  }, 300_000);

  afterAll(async () => {
    if (root === '') return;
    await down({ stackDir: join(root, '.ridehail'), timeoutMs: 15_000 }).catch(() => undefined);
    if (process.env['RIDEHAIL_KEEP_TEST_STACKS'] !== '1') await rm(root, { recursive: true, force: true });
  }, 120_000);

  it('starts Druid beside Kafka and Postgres, healthy, with its metadata in that Postgres; down stops all of it', async (ctx) => {
    if (unavailable !== undefined) ctx.skip(`no Druid: ${unavailable}`);
    const up = await cli('local', 'up', '--druid');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`DRUID_URL=http://127.0.0.1:${routerPort}`);
    console.log(`[local-druid] local up --druid took ${(up.ms / 1000).toFixed(1)} s`);

    const before = await status();
    expect(before.running).toBe(true);
    const druid = before.processes.filter((p) => p.role === 'druid' || p.role === 'zookeeper');
    expect(druid.map((p) => [p.name, p.health])).toEqual(DRUID_STACK_PROCESSES.map((p) => [p.name, 'healthy']));
    expect(druid.find((p) => p.name === 'druid-router')?.port).toBe(routerPort);
    expect(druid.find((p) => p.name === 'druid-zookeeper')?.port).toBe(routerPort + DRUID_ZOOKEEPER_OFFSET);
    expect(before.connection?.DRUID_URL).toBe(`http://127.0.0.1:${routerPort}`);

    // `ridehail druid` finds it through DRUID_URL, with the task slots the local stack sizes it for.
    const druidStatus = await cli('druid', 'status', '--json');
    expect(druidStatus.code, druidStatus.stderr).toBe(0);
    expect(JSON.parse(druidStatus.stdout)).toMatchObject({ supervisors: [], taskSlots: { slots: DRUID_TASK_SLOTS } });

    const client = new pg.Client({ connectionString: `postgres://ridehail:ridehail@127.0.0.1:${postgresPort}/druid` });
    await client.connect();
    try {
      const tables = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name LIKE 'druid_%'");
      expect(tables.rows[0]!.n).toBeGreaterThan(5);
    } finally {
      await client.end();
    }

    const again = await cli('local', 'up', '--druid');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/druid-router\s+druid\s+pid \d+\s+\S+\s+already running/);

    const down = await cli('local', 'down');
    expect(down.code, down.stderr).toBe(0);
    console.log(`[local-druid] local down took ${(down.ms / 1000).toFixed(1)} s`);
    for (const p of druid) expect(alive(p.pid!), p.name).toBe(false);
    const after = await status();
    expect(after.processes.every((p) => p.pid === null && p.health === 'stopped')).toBe(true);
  }, 300_000);

  it('killed while Druid starts, `local up --druid` leaves nothing that `local down` cannot stop', async (ctx) => {
    if (unavailable !== undefined) ctx.skip(`no Druid: ${unavailable}`);
    const child = spawn(process.execPath, [...cliCommand(), 'local', 'up', '--druid'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let exitCode: number | null | undefined;
    const exited = once(child, 'exit').then(([code]) => (exitCode = code as number | null));
    // Every process spawned and known to the stack, not all healthy yet: the half minute a user is
    // most likely to give up in.
    let during: StatusJson | undefined;
    while (exitCode === undefined) {
      const now = await status();
      const druid = now.processes.filter((p) => p.role === 'druid' || p.role === 'zookeeper');
      if (druid.length === DRUID_STACK_PROCESSES.length && druid.every((p) => p.pid !== null)) {
        during = now;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(during, `local up exited (${String(exitCode)}) before every Druid process was known:\n${output}`).toBeDefined();
    expect(during!.processes.some((p) => p.role === 'druid' && p.health !== 'healthy'), 'killed before Druid was healthy').toBe(true);
    child.kill('SIGKILL');
    await exited;

    const druid = (await status()).processes.filter((p) => p.role === 'druid' || p.role === 'zookeeper');
    expect(druid.map((p) => p.name)).toEqual(DRUID_STACK_PROCESSES.map((p) => p.name));
    for (const p of druid) expect(p.pid !== null && alive(p.pid), `${p.name} known and running`).toBe(true);

    const down = await cli('local', 'down');
    expect(down.code, down.stderr).toBe(0);
    for (const p of druid) expect(alive(p.pid!), p.name).toBe(false);
    expect((await status()).processes.every((p) => p.pid === null && p.health === 'stopped')).toBe(true);
  }, 300_000);
});
