import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Command } from 'commander';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCommand, type LocalOutput } from '../../src/cli/commands/local.js';
import { UsageError } from '../../src/cli/errors.js';
import { isPortFree } from '../../src/local/free-port.js';
import { findJava } from '../../src/local/java.js';
import { ensureKafkaDist } from '../../src/local/kafka-dist.js';
import { describeKafka } from '../../src/local/kafka-health.js';
import { planKafkaTopology, serverProperties } from '../../src/local/kafka-topology.js';
import { isOurProcess } from '../../src/local/process.js';
import { down, status, up, type StatusResult, type UpOptions } from '../../src/local/stack.js';
import { makeTempRoot, testStackOptions } from '../helpers/stack.js';

describe('the Kafka topology of a local stack', () => {
  it('is one combined broker+controller by default, serving clients on the base port and the quorum 100 above', () => {
    const t = planKafkaTopology({ controllers: 1, brokers: 1, portBase: 19092, dataDir: '/x' });
    expect(t.nodes).toHaveLength(1);
    expect(t.nodes[0]).toMatchObject({ name: 'kafka-1', roles: ['broker', 'controller'], brokerPort: 19092, controllerPort: 19192 });
    expect(t.bootstrapServers).toBe('127.0.0.1:19092');
    expect(t.warnings).toEqual([]);
  });

  it('is five processes on distinct ports for 2 controllers and 3 brokers, with a warning that 2 voters survive no loss', () => {
    const t = planKafkaTopology({ controllers: 2, brokers: 3, portBase: 19092, dataDir: '/x' });
    expect(t.nodes.map((n) => n.name)).toEqual(['controller-1', 'controller-2', 'broker-1', 'broker-2', 'broker-3']);
    const ports = t.nodes.flatMap((n) => [n.brokerPort, n.controllerPort].filter((p) => p !== undefined));
    expect(new Set(ports).size).toBe(5);
    expect(new Set(t.nodes.map((n) => n.nodeId)).size).toBe(5);
    expect(t.bootstrapServers).toBe('127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094');
    expect(t.quorumVoters).toBe('101@127.0.0.1:19192,102@127.0.0.1:19193');
    expect(t.warnings.join(' ')).toMatch(/majority is 2.*3 controllers/);
    expect(planKafkaTopology({ controllers: 3, brokers: 3, portBase: 19092, dataDir: '/x' }).warnings).toEqual([]);
  });

  it('gives every node the same static quorum and replication settings its broker count can meet', () => {
    const t = planKafkaTopology({ controllers: 3, brokers: 2, portBase: 20000, dataDir: '/x' });
    const [controller, , , broker] = t.nodes;
    const cprops = serverProperties(t, controller!);
    const bprops = serverProperties(t, broker!);
    for (const props of [cprops, bprops]) expect(props).toContain(`controller.quorum.voters=${t.quorumVoters}`);
    expect(cprops).toContain('process.roles=controller');
    expect(cprops).not.toContain('advertised.listeners');
    expect(bprops).toContain('process.roles=broker');
    expect(bprops).toContain('offsets.topic.replication.factor=2');
    expect(bprops).toContain('transaction.state.log.min.isr=2');
  });

  it('refuses zero controllers', () => {
    expect(() => planKafkaTopology({ controllers: 0, brokers: 1, portBase: 19092, dataDir: '/x' })).toThrow(/controllers must be/);
  });
});

/** An output that records what a command printed. */
function recordingOutput(): LocalOutput & { lines: string[]; json: (v: unknown) => void; values: unknown[] } {
  const lines: string[] = [];
  const values: unknown[] = [];
  return {
    lines,
    values,
    info: (m) => lines.push(m),
    json: (v) => values.push(v),
    spinner: (text) => {
      lines.push(`… ${text}`);
      return { update: () => undefined, succeed: (t) => lines.push(`✔ ${t ?? text}`), fail: (t) => lines.push(`✖ ${t ?? text}`) };
    },
  };
}

function cli(options: UpOptions, out: LocalOutput): Command {
  const program = new Command('ridehail').exitOverride();
  program.addCommand(
    localCommand({
      resolveConfig: () => ({ localDir: options.stackDir, cacheDir: options.cacheDir, kafkaPortBase: options.kafkaPortBase, postgresPort: options.postgresPort }),
      out,
    }),
  );
  for (const c of program.commands) c.exitOverride();
  return program;
}

async function queryPostgres(url: string): Promise<{ db: string; user: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ db: string; user: string }>('SELECT current_database() AS db, current_user AS "user"');
    return r.rows[0]!;
  } finally {
    await client.end();
  }
}

/** Whether `pid` is gone; a killed child of this test process lingers as a zombie until Node reaps it. */
async function exitedWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function pidsOf(s: StatusResult): Record<string, number | null> {
  return Object.fromEntries(s.processes.map((p) => [p.name, p.pid]));
}

describe('ridehail local up, status and down on a real Kafka and Postgres', () => {
  let root: string;
  let options: UpOptions;
  let unrelated: ReturnType<typeof spawn> | undefined;

  beforeAll(async () => {
    ({ root, options } = await testStackOptions({ postgres: true }));
  });

  afterAll(async () => {
    unrelated?.kill('SIGKILL');
    await down({ stackDir: options.stackDir, timeoutMs: 15_000 });
    await rm(root, { recursive: true, force: true });
  });

  it('up starts Kafka and Postgres, prints their connection strings, and both answer', async () => {
    const out = recordingOutput();
    await cli(options, out).parseAsync(['node', 'ridehail', 'local', 'up']);
    expect(out.lines).toContain('✔ The local stack is up');
    expect(out.lines).toContain(`KAFKA_BROKERS=127.0.0.1:${options.kafkaPortBase}`);
    const databaseUrl = `postgres://ridehail:ridehail@127.0.0.1:${options.postgresPort}/ridehail`;
    expect(out.lines).toContain(`DATABASE_URL=${databaseUrl}`);

    const cluster = await describeKafka(`127.0.0.1:${options.kafkaPortBase}`);
    expect(cluster.brokers.map((b) => b.port)).toEqual([options.kafkaPortBase]);
    expect(await queryPostgres(databaseUrl)).toEqual({ db: 'ridehail', user: 'ridehail' });

    const s = await status({ stackDir: options.stackDir });
    expect(s.processes.map((p) => [p.name, p.role, p.health])).toEqual([
      ['kafka-1', 'broker+controller', 'healthy'],
      ['postgres', 'postgres', 'healthy'],
    ]);
    // Logging is wired: a real log file per process, and no SLF4J fallback noise on stdout.
    const logs = join(options.stackDir, 'logs');
    expect(await readFile(join(logs, 'kafka-1.log'), 'utf8')).toMatch(/Kafka Server started/);
    expect(await readFile(join(logs, 'kafka-1.out'), 'utf8')).not.toMatch(/SLF4J/);
    expect(await readFile(join(logs, 'postgres.log'), 'utf8')).toMatch(/ready to accept connections/);
  });

  it('a second up reports that everything already runs and starts nothing', async () => {
    const before = pidsOf(await status({ stackDir: options.stackDir }));
    const out = recordingOutput();
    await cli(options, out).parseAsync(['node', 'ridehail', 'local', 'up']);
    expect(out.lines).toContain('✔ The local stack is already running');
    expect(out.lines.filter((l) => /^ {2}\S.*already running$/.test(l))).toHaveLength(2);
    expect(pidsOf(await status({ stackDir: options.stackDir }))).toEqual(before);
  });

  it('status --json lists each process with its role, pid, port and health', async () => {
    const out = recordingOutput();
    await cli(options, out).parseAsync(['node', 'ridehail', 'local', 'status', '--json']);
    const s = out.values[0] as StatusResult;
    expect(s.running).toBe(true);
    expect(s.processes.map((p) => ({ name: p.name, port: p.port, health: p.health }))).toEqual([
      { name: 'kafka-1', port: options.kafkaPortBase, health: 'healthy' },
      { name: 'postgres', port: options.postgresPort, health: 'healthy' },
    ]);
    for (const p of s.processes) expect(p.pid).toBeGreaterThan(0);
  });

  it('down stops every process it started and frees their ports', async () => {
    const pids = Object.values(pidsOf(await status({ stackDir: options.stackDir }))) as number[];
    const out = recordingOutput();
    await cli(options, out).parseAsync(['node', 'ridehail', 'local', 'down']);
    expect(out.lines).toContain('✔ Stopped kafka-1, postgres');
    for (const pid of pids) expect(await exitedWithin(pid, 5_000)).toBe(true);
    for (const port of [options.kafkaPortBase, options.kafkaPortBase + 100, options.postgresPort]) expect(await isPortFree(port)).toBe(true);
    const s = await status({ stackDir: options.stackDir });
    expect(s.processes.map((p) => p.health)).toEqual(['stopped', 'stopped']);
  });

  it('pid files naming a dead or an unrelated process fool neither status nor up, and down leaves the unrelated process alone', async () => {
    unrelated = spawn('sleep', ['600'], { stdio: 'ignore' });
    await once(unrelated, 'spawn');
    const dead = spawn('true', { stdio: 'ignore' });
    await once(dead, 'exit');
    const pids = join(options.stackDir, 'pids');
    // As after a crash or reboot: the pid files stay, the pids now mean something else.
    await writeFile(join(pids, 'kafka-1.pid'), `${unrelated.pid}\n`);
    await writeFile(join(pids, 'postgres.pid'), `${dead.pid}\n`);

    const s = await status({ stackDir: options.stackDir });
    expect(s.running).toBe(false);
    for (const p of s.processes) {
      expect(p.pid).toBeNull();
      expect(p.health).toBe('stopped');
      expect(p.note).toMatch(/stale pid file/);
    }

    const result = await up(options);
    expect(result.alreadyRunning).toBe(false);
    expect(result.processes.map((p) => p.action)).toEqual(['started', 'started']);
    expect(result.processes.map((p) => p.pid)).not.toContain(unrelated.pid);
    for (const p of result.processes) expect(isOurProcess(p.pid!, options.stackDir)).toBe(true);
    expect((await status({ stackDir: options.stackDir })).processes.map((p) => p.health)).toEqual(['healthy', 'healthy']);

    const stopped = await down({ stackDir: options.stackDir, timeoutMs: 15_000 });
    expect(stopped.processes.map((p) => [p.name, p.result]).sort()).toEqual([
      ['kafka-1', 'stopped'],
      ['postgres', 'stopped'],
    ]);
    expect(() => process.kill(unrelated!.pid!, 0)).not.toThrow();
  });

  it('up with a different layout on existing data is refused with a way out', async () => {
    await expect(up({ ...options, controllers: 3, brokers: 3 })).rejects.toThrow(/down --purge/);
  });

  it('up --controllers 0 is a usage error', async () => {
    const out = recordingOutput();
    await expect(cli(options, out).parseAsync(['node', 'ridehail', 'local', 'up', '--controllers', '0'])).rejects.toBeInstanceOf(UsageError);
  });
});

describe('ridehail local up when something is missing or wrong', () => {
  it('without java says what to install and how to skip the local Kafka', async () => {
    await expect(findJava({ javaHome: undefined, pathEnv: '' })).rejects.toThrow(/Install a JDK or JRE 17 or newer.*KAFKA_BROKERS/s);
  });

  it('without cached jars and without Maven says to install Maven or set KAFKA_HOME', async () => {
    const root = await makeTempRoot('ridehail-nomvn-');
    try {
      await expect(ensureKafkaDist({ cacheDir: root, pathEnv: '' })).rejects.toThrow(/Maven.*KAFKA_HOME.*KAFKA_BROKERS/s);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('with its Kafka port taken by another program names the port and starts nothing', async () => {
    const { root, options } = await testStackOptions();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(options.kafkaPortBase, '127.0.0.1', r));
    try {
      await expect(up(options)).rejects.toThrow(new RegExp(`Port ${options.kafkaPortBase} .*in use`));
      expect(await readdir(join(options.stackDir, 'pids'))).toEqual([]);
    } finally {
      squatter.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('with a config Kafka rejects says so in one message, without a Java stack trace', async () => {
    const { root, options } = await testStackOptions({ kafkaProperties: { 'num.network.threads': 'many' } });
    try {
      const err = await up(options).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/Formatting the storage of kafka-1 failed: .*Invalid value many for configuration num\.network\.threads/);
      expect(err?.message).not.toMatch(/\bat org\.apache/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('with a broker that dies while starting shows the errors from its log and leaves nothing running', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const taken = (squatter.address() as { port: number }).port;
    const { root, options } = await testStackOptions();
    // Bypasses up's own port check, as if another program grabbed the port a moment later.
    const listeners = `PLAINTEXT://127.0.0.1:${taken},CONTROLLER://127.0.0.1:${options.kafkaPortBase + 100}`;
    try {
      await expect(up({ ...options, kafkaProperties: { listeners } })).rejects.toThrow(/kafka-1 exited while starting\. Last errors of .*kafka-1\.log:\n.*Address already in use/s);
      expect(await readdir(join(options.stackDir, 'pids'))).toEqual([]);
    } finally {
      squatter.close();
      await down({ stackDir: options.stackDir });
      await rm(root, { recursive: true, force: true });
    }
  });
});
