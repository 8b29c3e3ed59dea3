import { chmod, mkdtemp, rm } from 'node:fs/promises';
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
  return root;
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
