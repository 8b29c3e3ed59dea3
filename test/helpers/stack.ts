import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, findFreePortBase } from '../../src/local/free-port.js';
import { CONTROLLER_PORT_OFFSET } from '../../src/local/kafka-topology.js';
import { defaultCacheDir } from '../../src/local/paths.js';
import { down, up, type UpOptions, type UpResult } from '../../src/local/stack.js';

export interface TestStack {
  /** The temp directory holding the stack directory. */
  readonly root: string;
  readonly stackDir: string;
  readonly options: UpOptions;
  readonly result: UpResult;
  /** `host:port,…` */
  readonly kafkaBrokers: string;
  readonly brokers: readonly string[];
  /** Undefined when started without Postgres. */
  readonly databaseUrl: string | undefined;
  /** Stops every process of the stack and deletes the temp directory. */
  stop(): Promise<void>;
}

export interface TestStackOptions {
  readonly controllers?: number;
  readonly brokers?: number;
  readonly postgres?: boolean;
  readonly kafkaProperties?: Record<string, string>;
  readonly timeoutMs?: number;
  readonly log?: (msg: string) => void;
}

/** Shared with real use, so the jars are fetched once per machine, not per test run. */
export function testCacheDir(): string {
  return defaultCacheDir(process.env);
}

/**
 * A temp directory the embedded Postgres can use: when tests run as root, Postgres runs as user
 * `postgres`, and mkdtemp's 0700 would lock it out.
 */
export async function makeTempRoot(prefix: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  await chmod(root, 0o755);
  await writeFile(join(root, OWNER_FILE), `${ownerPid()}\n`);
  return root;
}

const OWNER_FILE = '.ridehail-test-owner';
/** Set by the global setup for the test files' worker processes: the run they belong to. */
export const OWNER_PID_ENV = 'RIDEHAIL_TEST_OWNER_PID';

/** The test run (vitest's main process) or the benchmark that made a temp root. */
function ownerPid(): number {
  const fromEnv = Number(process.env[OWNER_PID_ENV]);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : process.pid;
}

/** Whether `pid` is a running process (another user's counts: it is not gone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids of the processes whose command line names `root` (Linux /proc; elsewhere none). */
async function processesUnder(root: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').some((arg) => arg === root || arg.includes(`${root}/`))) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Stops what earlier runs left behind: a test run killed before its teardown (Ctrl-C twice,
 * SIGKILL, a closed terminal) leaves its Kafka, Postgres or Druid running in its temp roots. A
 * root whose run is gone has its stack taken down, then any process still naming it is
 * terminated; the directory goes too unless RIDEHAIL_KEEP_TEST_STACKS=1. Roots of a run still
 * going, and roots from before owners were recorded, are left alone. Returns the roots swept.
 */
export async function sweepOrphanedTestRoots(log: (msg: string) => void = () => undefined): Promise<string[]> {
  const swept: string[] = [];
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith('ridehail-')) continue;
    const root = join(tmpdir(), name);
    const owner = Number((await readFile(join(root, OWNER_FILE), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(owner) || owner <= 0 || isRunning(owner)) continue;
    if (existsSync(join(root, '.ridehail'))) await down({ stackDir: join(root, '.ridehail'), timeoutMs: 15_000 }).catch(() => undefined);
    const left = await processesUnder(root);
    for (const pid of left) process.kill(pid, 'SIGTERM');
    for (let waited = 0; waited < 10_000 && left.some(isRunning); waited += 250) await new Promise((r) => setTimeout(r, 250));
    for (const pid of left.filter(isRunning)) process.kill(pid, 'SIGKILL');
    if (process.env['RIDEHAIL_KEEP_TEST_STACKS'] !== '1') await rm(root, { recursive: true, force: true });
    log(`swept ${root} (its run, pid ${owner}, is gone${left.length > 0 ? `; stopped ${left.length} process${left.length === 1 ? '' : 'es'}` : ''})`);
    swept.push(root);
  }
  return swept;
}

/** UpOptions for a fresh stack on free ports in a temp directory. */
export async function testStackOptions(opts: TestStackOptions = {}): Promise<{ root: string; options: UpOptions }> {
  const controllers = opts.controllers ?? 1;
  const brokers = opts.brokers ?? 1;
  const offsets = [...Array.from({ length: brokers }, (_, i) => i), ...Array.from({ length: controllers }, (_, j) => CONTROLLER_PORT_OFFSET + j)];
  const root = await makeTempRoot('ridehail-stack-');
  const options: UpOptions = {
    stackDir: join(root, '.ridehail'),
    cacheDir: testCacheDir(),
    kafkaPortBase: await findFreePortBase(offsets),
    postgresPort: await findFreePort(),
    controllers,
    brokers,
    postgres: opts.postgres ?? false,
    javaHome: process.env['JAVA_HOME'],
    kafkaHome: process.env['KAFKA_HOME'],
    pathEnv: process.env['PATH'],
    kafkaProperties: opts.kafkaProperties,
    timeoutMs: opts.timeoutMs ?? 150_000,
    log: opts.log,
  };
  return { root, options };
}

/** Starts a stack (Kafka, plus Postgres if asked) on free ports in a temp directory. */
export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  const { root, options } = await testStackOptions(opts);
  const cleanup = async (): Promise<void> => {
    await down({ stackDir: options.stackDir, timeoutMs: 15_000 });
    if (process.env['RIDEHAIL_KEEP_TEST_STACKS'] !== '1') await rm(root, { recursive: true, force: true });
  };
  let result: UpResult;
  try {
    result = await up(options);
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
  const kafkaBrokers = result.connection.KAFKA_BROKERS;
  return {
    root,
    stackDir: options.stackDir,
    options,
    result,
    kafkaBrokers,
    brokers: kafkaBrokers.split(','),
    databaseUrl: result.connection.DATABASE_URL,
    stop: cleanup,
  };
}
