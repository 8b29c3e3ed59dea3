import type { TestProject } from 'vitest/node';
import { ensureKafkaDist } from '../src/local/kafka-dist.js';
import { OWNER_PID_ENV, startTestStack, sweepOrphanedTestRoots, testCacheDir, type TestStack } from './helpers/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port,…` of a running cluster shared by all test files. */
    kafkaBrokers: string;
    /** A Postgres shared by all test files. */
    databaseUrl: string;
  }
}

/** A run limited to unit tests needs no stack; vitest keeps the CLI filters on an internal field. */
function onlyUnitTests(project: TestProject): boolean {
  const patterns = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  return patterns !== undefined && patterns.length > 0 && patterns.every((p) => /(^|[\\/])test[\\/]unit([\\/]|$)/.test(p));
}

/**
 * One single-node stack (Kafka + embedded Postgres) on free ports for all test files, unless
 * RIDEHAIL_TEST_KAFKA_BROKERS / RIDEHAIL_TEST_DATABASE_URL point at existing ones. The Kafka jars
 * are fetched here too, so no test's timeout is spent on Maven.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (onlyUnitTests(project)) {
    project.provide('kafkaBrokers', '');
    project.provide('databaseUrl', '');
    return undefined;
  }
  // Temp roots name this run as their owner (test files run in child processes that inherit it),
  // so a later run can tell which roots a killed run left behind, and stop what they still run.
  process.env[OWNER_PID_ENV] = String(process.pid);
  await sweepOrphanedTestRoots((m) => console.log(`global setup: ${m}`));
  const externalBrokers = process.env['RIDEHAIL_TEST_KAFKA_BROKERS'] || undefined;
  const externalDatabase = process.env['RIDEHAIL_TEST_DATABASE_URL'] || undefined;

  try {
    await ensureKafkaDist({ kafkaHome: process.env['KAFKA_HOME'], cacheDir: testCacheDir(), pathEnv: process.env['PATH'], log: (m) => console.log(m) });
  } catch (err) {
    // With an external cluster only the local-stack tests need the jars; let them fail on their own.
    if (externalBrokers === undefined) throw err;
    console.warn(`global setup: Kafka jars unavailable (${(err as Error).message}); local-stack tests will fail`);
  }

  let stack: TestStack | undefined;
  if (externalBrokers === undefined || externalDatabase === undefined) {
    const started = Date.now();
    stack = await startTestStack({ postgres: externalDatabase === undefined });
    console.log(`global setup: local stack up in ${((Date.now() - started) / 1000).toFixed(1)} s (${stack.stackDir})`);
  }
  project.provide('kafkaBrokers', externalBrokers ?? stack?.kafkaBrokers ?? '');
  project.provide('databaseUrl', externalDatabase ?? stack?.databaseUrl ?? '');

  if (stack === undefined) return undefined;
  const running = stack;
  return async () => {
    await running.stop();
  };
}
