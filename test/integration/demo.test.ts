import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { findFreePort, findFreePortBase } from '../../src/local/free-port.js';
import { CONTROLLER_PORT_OFFSET } from '../../src/local/kafka-topology.js';
import { makeTempRoot } from '../helpers/stack.js';

const BIN = join(import.meta.dirname, '../../bin/ridehail.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(1_000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The whole pipeline as a user starts it: its own Kafka and Postgres on free ports (not the test
 * run's shared stack), four stages as child processes, the page. Fast-forwarded with --speed so a
 * one-minute window closes within seconds.
 */
describe('ridehail demo', () => {
  let root = '';
  let demo: ChildProcess | undefined;

  afterAll(async () => {
    if (demo?.exitCode === null) demo.kill('SIGKILL');
    if (root !== '') {
      // Whatever the test left running, stop it by the same means a user would.
      const stackDir = join(root, '.ridehail');
      await new Promise((resolve) => spawn(process.execPath, [BIN, 'local', 'down'], { env: { ...process.env, RIDEHAIL_HOME: stackDir }, stdio: 'ignore' }).on('exit', resolve));
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('starts everything, shows live numbers on the page, fills the warehouse, and stops every process on Ctrl-C', async () => {
    root = await makeTempRoot('ridehail-demo-');
    const stackDir = join(root, '.ridehail');
    const kafkaPort = await findFreePortBase([0, CONTROLLER_PORT_OFFSET]);
    const postgresPort = await findFreePort();
    const dashboardPort = await findFreePort();
    const env: NodeJS.ProcessEnv = { ...process.env, RIDEHAIL_HOME: stackDir, RIDEHAIL_KAFKA_PORT: String(kafkaPort), RIDEHAIL_POSTGRES_PORT: String(postgresPort), NO_COLOR: '1' };
    delete env['KAFKA_BROKERS'];
    delete env['DATABASE_URL'];

    let output = '';
    demo = spawn(process.execPath, [BIN, 'demo', '--port', String(dashboardPort), '--rate', '200', '--speed', '10', '--cities', 'nyc,lon'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    demo.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => demo!.once('exit', (code) => resolve(code)));

    const url = await until('the dashboard address', 240_000, async () => {
      if (demo!.exitCode !== null) throw new Error(`demo exited early:\n${output}`);
      return /Dashboard: (http:\/\/\S+)/.exec(output)?.[1];
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
    expect(url).toBe(`http://127.0.0.1:${dashboardPort}`);
    const stagePids = (JSON.parse(readFileSync(join(stackDir, 'demo.json'), 'utf8')) as { stages: { name: string; pid: number }[] }).stages;
    expect(stagePids.map((s) => s.name).sort()).toEqual(['dashboard', 'enrich', 'generate', 'warehouse']);

    type Status = { status: { state: string; records: number }; cities: string[] };
    const live = await until('metric windows on the page', 120_000, async () => {
      const status = (await (await fetch(`${url}/api/status`)).json()) as Status;
      return status.status.records > 0 && status.status.state === 'live' ? status : undefined;
    });
    expect(live.cities).toEqual(expect.arrayContaining(['lon', 'nyc']));
    // The numbers keep changing while the demo runs.
    await until('more metric windows', 60_000, async () => {
      const status = (await (await fetch(`${url}/api/status`)).json()) as Status;
      return status.status.records > live.status.records ? true : undefined;
    });

    const databaseUrl = `postgres://ridehail:ridehail@127.0.0.1:${postgresPort}/ridehail`;
    const rawEvents = await until('events in the warehouse', 60_000, async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM ridehail.raw_events');
        return Number(rows[0]!.n) > 0 ? Number(rows[0]!.n) : undefined;
      } finally {
        await client.end();
      }
    });
    expect(rawEvents).toBeGreaterThan(0);

    demo.kill('SIGINT');
    const code = await Promise.race([exited, sleep(150_000).then(() => 'still running')]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/stopped generate[\s\S]*stopped enrich[\s\S]*stopped warehouse[\s\S]*stopped dashboard/);
    expect(output).toContain('Kafka and Postgres stopped');
    for (const stage of stagePids) expect(alive(stage.pid), `${stage.name} (pid ${stage.pid}) still runs`).toBe(false);
    const pidFiles = readdirSync(join(stackDir, 'pids'), { withFileTypes: true }).filter((e) => e.isFile());
    expect(pidFiles.map((e) => e.name)).toEqual([]);
  }, 600_000);
});
