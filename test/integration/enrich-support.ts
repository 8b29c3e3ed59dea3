import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Message } from '../../src/kafka/kafkajs.js';
import { generate, type GenerateParams } from '../../src/generate/job.js';
import { MemorySink } from '../../src/generate/sinks.js';
import { BUILT_IN_CITIES } from '../../src/generate/cities.js';
import type { Manifest } from '../../src/generate/manifest.js';
import type { OutRecord } from '../../src/generate/records.js';
import { readTopicToEnd, type ReadMessage } from '../../src/enrich/kafka-io.js';

/** Shared by the enrich integration tests: generator runs, isolated topics, reading outputs. */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export function testKafka(brokers: string): Kafka {
  return new Kafka({ clientId: 'enrich-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** A fresh topic prefix and group, so tests never see each other's records or state. */
export function isolation(name: string): { prefix: string; group: string } {
  const id = randomUUID().slice(0, 8);
  return { prefix: `${name}${id}.`, group: `${name}-${id}` };
}

export async function createInputTopics(kafka: Kafka, prefix: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: ['ride_events', 'vehicle_events', 'user_events'].map((topic) => ({ topic: prefix + topic, numPartitions: partitions, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

export interface GeneratedRun {
  records: OutRecord[];
  manifest: Manifest;
}

/** The generator's own run, in simulated time, into memory, with its manifest. */
export async function generateRun(overrides: Partial<GenerateParams>): Promise<GeneratedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'enrich-test-'));
  const sink = new MemorySink();
  const manifestPath = join(dir, 'manifest.json');
  try {
    await generate(
      {
        cities: BUILT_IN_CITIES.filter((c) => c.code === 'nyc' || c.code === 'lon'),
        seed: 'enrich-test',
        clock: 'sim',
        startMs: Date.now() - 3 * 3_600_000,
        rate: 30,
        speed: 1,
        count: 10_000,
        invalidRate: 0,
        duplicateRate: 0,
        lateRate: 0,
        lateByMs: 60_000,
        destination: 'memory',
        manifestPath,
        ...overrides,
      },
      sink,
    );
    return { records: sink.records, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Produces the records in order, keyed as the generator keyed them, onto prefixed topics. */
export async function produce(kafka: Kafka, prefix: string, records: readonly OutRecord[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 2_000) {
      const byTopic = new Map<string, Message[]>();
      for (const r of records.slice(i, i + 2_000)) {
        let messages = byTopic.get(prefix + r.topic);
        if (!messages) byTopic.set(prefix + r.topic, (messages = []));
        messages.push({ key: r.key, value: r.value });
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    }
  } finally {
    await producer.disconnect();
  }
}

function builtIsFresh(): boolean {
  const built = join(repoRoot, 'dist', 'cli', 'main.js');
  if (!existsSync(built)) return false;
  const sources = [join(repoRoot, 'src', 'cli', 'main.ts'), join(repoRoot, 'src', 'cli', 'commands', 'enrich.ts'), ...readdirSync(join(repoRoot, 'src', 'enrich')).map((f) => join(repoRoot, 'src', 'enrich', f))];
  const newestSource = Math.max(...sources.filter((f) => existsSync(f)).map((f) => statSync(f).mtimeMs));
  return statSync(built).mtimeMs >= newestSource;
}

export async function readTopic(kafka: Kafka, topic: string): Promise<ReadMessage[]> {
  const messages: ReadMessage[] = [];
  await readTopicToEnd(kafka, topic, 'enrich-test-reader', (m) => messages.push(m));
  return messages;
}

/**
 * The script that starts the CLI as a child process (`node <script> --brokers … enrich …`): the
 * built CLI, bin/ridehail.js, when it has the enrich command and is newer than its sources
 * (`npm test` builds first), else a bundle of the command made on the spot with esbuild (placed
 * two levels under the repository, where the schemas resolve as they do from dist/).
 */
export async function ridehailScript(): Promise<string> {
  const bin = join(repoRoot, 'bin', 'ridehail.js');
  if (builtIsFresh()) {
    const built = spawnSync(process.execPath, [bin, 'enrich', '--help'], { encoding: 'utf8' });
    if (built.status === 0 && built.stdout.includes('--allowed-lateness')) return bin;
  }
  const { build } = await import('esbuild');
  const outfile = join(repoRoot, 'node_modules', '.cache', 'enrich-cli.mjs');
  await build({
    stdin: {
      contents: `
        import { Command } from 'commander';
        import { enrichCommand } from './src/cli/commands/enrich.ts';
        import { createContext } from './src/cli/context.ts';
        const program = new Command('ridehail').option('--brokers <list>').addCommand(enrichCommand(createContext()));
        await program.parseAsync(process.argv);`,
      resolveDir: repoRoot,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}
