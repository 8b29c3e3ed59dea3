import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SOURCE_TOPICS } from '../../src/contract/topics.js';
import { partitionForKey } from '../../src/generate/murmur2.js';
import { runTag } from '../../src/generate/random.js';
import { Kafka, logLevel } from '../../src/kafka/kafkajs.js';
import { findFreePort } from '../../src/local/free-port.js';

/**
 * `ridehail generate` as a user runs it (bin/ridehail.js, a child process) against the real
 * broker of the test run: what lands in Kafka, what an unreachable broker looks like, and what
 * Ctrl-C does. The stack's topics are shared with other test files, so each run has its own seed
 * (its ids carry the seed's tag) and reads only the offsets it added.
 */

const brokers = inject('kafkaBrokers');
const root = resolve(import.meta.dirname, '..', '..');
const BIN = join(root, 'bin', 'ridehail.js');
const TOPICS = SOURCE_TOPICS.map((t) => t.name);
const KEY_FIELD = new Map(SOURCE_TOPICS.map((t) => [t.name, t.key]));

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function ridehail(args: string[], options: { onStderr?: (text: string) => void; started?: (kill: (signal: NodeJS.Signals) => void) => void } = {}): Promise<Child> {
  return new Promise((resolvePromise, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
    delete env['KAFKA_BROKERS'];
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    options.started?.((signal) => child.kill(signal));
  });
}

/** The CLI under test is the built one; a stale dist/ would test yesterday's code. */
function assertBuilt(): void {
  const sources = [join(root, 'src', 'cli', 'commands', 'generate.ts'), ...readdirSync(join(root, 'src', 'generate')).map((f) => join(root, 'src', 'generate', f))];
  for (const source of sources) {
    const built = source.replace(`${root}/src/`, `${root}/dist/`).replace(/\.ts$/, '.js');
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) {
      throw new Error(`${built} is missing or older than its source: run \`npm run build\` before the integration tests`);
    }
  }
}

interface Landed {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

let kafka: Kafka;

async function endOffsets(): Promise<Map<string, Map<number, number>>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const out = new Map<string, Map<number, number>>();
    for (const topic of TOPICS) {
      if (!existing.has(topic)) {
        out.set(topic, new Map());
        continue;
      }
      out.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)])));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Every record added to the source topics between two snapshots of their end offsets. */
async function readBetween(from: Map<string, Map<number, number>>, to: Map<string, Map<number, number>>): Promise<Landed[]> {
  const out: Landed[] = [];
  for (const topic of TOPICS) {
    const ends = to.get(topic) ?? new Map<number, number>();
    const starts = from.get(topic) ?? new Map<number, number>();
    const remaining = new Set([...ends].filter(([p, end]) => end > (starts.get(p) ?? 0)).map(([p]) => p));
    if (remaining.size === 0) continue;
    const consumer = kafka.consumer({ groupId: `generate-it-${randomUUID()}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 8 << 20 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      let finished: () => void = () => undefined;
      const done = new Promise<void>((r) => (finished = r));
      const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const start = starts.get(batch.partition) ?? 0;
          const end = ends.get(batch.partition) ?? 0;
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset < start) continue;
            if (offset >= end) break;
            out.push({ topic, partition: batch.partition, offset, key: m.key?.toString() ?? null, value: m.value?.toString() ?? '' });
            if (offset + 1 >= end) remaining.delete(batch.partition);
          }
          if (remaining.size === 0) finished();
        },
      });
      // Seeking needs the group joined; until then the fetches start at the beginning, which the filter above skips.
      await joined;
      for (const partition of remaining) consumer.seek({ topic, partition, offset: String(starts.get(partition) ?? 0) });
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`reading ${topic} timed out`)), 60_000))]);
    } finally {
      await consumer.disconnect();
    }
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'ridehail-generate-it-'));

beforeAll(async () => {
  assertBuilt();
  kafka = new Kafka({ clientId: 'generate-it', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ridehail generate into the real broker', () => {
  it('lands every record keyed by ride_id, user_id or vehicle_id, in per-key order, as many as the summary says', async () => {
    const seed = `it-${randomUUID().slice(0, 8)}`;
    const common = ['generate', '--clock', 'sim', '--start', '2026-01-05T07:00:00Z', '--seed', seed, '--count', '20000', '--rate', '20', '--ping-interval', '2m', '--cities', 'nyc,lon,tyo', '--json'];
    const before = await endOffsets();
    const run = await ridehail([...common, '--brokers', brokers]);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { events: number; records: number; by_topic: Record<string, number>; stopped_by: string; destination: string };
    expect(summary).toMatchObject({ events: 20_000, records: 20_000, stopped_by: 'count', destination: `kafka ${brokers}` });

    const after = await endOffsets();
    const landed = (await readBetween(before, after)).filter((r) => r.key?.includes(runTag(seed)));
    expect(landed).toHaveLength(summary.records);
    const perTopic = Object.fromEntries(TOPICS.map((t) => [t, landed.filter((r) => r.topic === t).length]));
    expect(perTopic).toEqual(summary.by_topic);

    // Keyed by the topic's key field; each key on the partition Kafka's default partitioner picks.
    const partitionsOf = new Map([...after].map(([topic, ends]) => [topic, ends.size]));
    const partitionOfKey = new Map<string, number>();
    for (const r of landed) {
      const value = JSON.parse(r.value) as Record<string, unknown>;
      expect(r.key).toBe(value[KEY_FIELD.get(r.topic)!]);
      const seen = partitionOfKey.get(`${r.topic}/${r.key}`);
      if (seen !== undefined) expect(r.partition).toBe(seen);
      partitionOfKey.set(`${r.topic}/${r.key}`, r.partition);
      expect(r.partition).toBe(partitionForKey(Buffer.from(r.key!), partitionsOf.get(r.topic)!));
    }

    // The same run written to a file: per key, Kafka holds the same records in the same order.
    const file = join(dir, `${seed}.jsonl`);
    const toFile = await ridehail([...common, '--out', file]);
    expect(toFile.code, toFile.stderr).toBe(0);
    const expected = new Map<string, string[]>();
    for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
      const parsed = JSON.parse(line) as { topic: string; key: string; value: unknown };
      const k = `${parsed.topic}/${parsed.key}`;
      if (!expected.has(k)) expected.set(k, []);
      expected.get(k)!.push(JSON.stringify(parsed.value));
    }
    const actual = new Map<string, string[]>();
    for (const r of [...landed].sort((a, b) => a.offset - b.offset)) {
      const k = `${r.topic}/${r.key}`;
      if (!actual.has(k)) actual.set(k, []);
      actual.get(k)!.push(r.value);
    }
    expect(actual.size).toBe(expected.size);
    for (const [k, values] of expected) expect(actual.get(k), k).toEqual(values);
    // Rides with several events make the order check mean something.
    expect([...actual].filter(([k, v]) => k.startsWith('ride_events/') && v.length >= 4).length).toBeGreaterThan(100);
  }, 180_000);

  it('replays a --out file with `ridehail produce`, broken records included, byte for byte', async () => {
    const seed = `replay-${randomUUID().slice(0, 8)}`;
    const file = join(dir, `${seed}.jsonl`);
    const written = await ridehail(['generate', '--clock', 'sim', '--start', '2026-01-05T19:00:00Z', '--seed', seed, '--count', '5000', '--cities', 'sao', '--invalid-rate', '0.05', '--duplicate-rate', '0.02', '--out', file]);
    expect(written.code, written.stderr).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { topic: string; key: string; value: unknown });
    const before = await endOffsets();
    const replay = await ridehail(['produce', file, '--brokers', brokers, '--json']);
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ records: lines.length, stopped_by: 'end' });
    const landed = (await readBetween(before, await endOffsets())).filter((r) => r.key?.includes(runTag(seed)));
    // A string value in the file is raw bytes (how a "not JSON" record is kept); anything else is JSON.
    const bytes = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
    const key = (topic: string, k: string | null) => `${topic}/${k}`;
    const expected = new Map<string, string[]>();
    for (const l of lines) expected.set(key(l.topic, l.key), [...(expected.get(key(l.topic, l.key)) ?? []), bytes(l.value)]);
    const actual = new Map<string, string[]>();
    for (const r of [...landed].sort((a, b) => a.offset - b.offset)) actual.set(key(r.topic, r.key), [...(actual.get(key(r.topic, r.key)) ?? []), r.value]);
    expect(landed).toHaveLength(lines.length);
    expect(actual).toEqual(expected);
    expect(landed.some((r) => !r.value.endsWith('}'))).toBe(true);
  }, 120_000);

  it('reports an unreachable broker in one line, after retrying with backoff, without a stack trace', async () => {
    const port = await findFreePort();
    const started = Date.now();
    const run = await ridehail(['generate', '--brokers', `127.0.0.1:${port}`, '--count', '10']);
    const seconds = (Date.now() - started) / 1000;
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    const errors = lines.filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^error: cannot reach Kafka at 127\\.0\\.0\\.1:${port} after 5 attempts: .*ECONNREFUSED`));
    expect(lines.some((l) => l.startsWith('hint: '))).toBe(true);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    // Four retries, waiting 0.5, 1, 2 and 4 s: the backoff doubles.
    const retries = lines.filter((l) => /not reachable/.test(l)).map((l) => /attempt (\d)\/5 in ([\d.]+)s/.exec(l)?.slice(1));
    expect(retries).toEqual([['2', '0.5'], ['3', '1'], ['4', '2'], ['5', '4']]);
    expect(seconds).toBeGreaterThanOrEqual(7.5);
    expect(seconds).toBeLessThan(60);
  }, 90_000);

  it('stops at once on Ctrl-C while retrying the connection, and says it was stopped rather than given up', async () => {
    const port = await findFreePort();
    let kill: (s: NodeJS.Signals) => void = () => undefined;
    let signalled = false;
    const started = Date.now();
    const run = await ridehail(['generate', '--brokers', `127.0.0.1:${port}`, '--count', '10'], {
      started: (k) => (kill = k),
      onStderr: (text) => {
        // During the second wait (1 s): two attempts have failed and a third would follow.
        if (signalled || !text.includes('attempt 3/5')) return;
        signalled = true;
        setTimeout(() => kill('SIGINT'), 300);
      },
    });
    const seconds = (Date.now() - started) / 1000;
    expect(signalled).toBe(true);
    expect(run.code, run.stderr).toBe(130);
    const lines = run.stderr.trim().split('\n');
    const errors = lines.filter((l) => l.startsWith('error:'));
    expect(errors).toEqual([expect.stringMatching(new RegExp(`^error: stopped while connecting to Kafka at 127\\.0\\.0\\.1:${port}: not reachable in 2 attempts \\(last: .*ECONNREFUSED`))]);
    expect(lines.some((l) => l.startsWith('hint: '))).toBe(false);
    expect(lines.some((l) => l.includes('attempt 4/5'))).toBe(false);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    // 0.5 s, then 0.3 s of the 1 s wait: it did not sit out the rest of the backoff.
    expect(seconds).toBeLessThan(6);
  }, 60_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`on ${signal} flushes what it generated and prints a summary`, async () => {
      const seed = `sig-${randomUUID().slice(0, 8)}`;
      const before = await endOffsets();
      const json = signal === 'SIGINT';
      let kill: (s: NodeJS.Signals) => void = () => undefined;
      let signalled = false;
      const run = await ridehail(
        ['generate', '--brokers', brokers, '--clock', 'wall', '--rate', '400', '--speed', '5', '--seed', seed, '--cities', 'par,ber', ...(json ? ['--json'] : [])],
        {
          started: (k) => (kill = k),
          onStderr: (text) => {
            if (signalled || !text.includes('connected to Kafka')) return;
            signalled = true;
            // A few seconds of records, then the signal, as a person pressing Ctrl-C would.
            setTimeout(() => kill(signal), 4_000);
          },
        },
      );
      expect(run.signal).toBeNull();
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`${signal} received`);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      let records: number;
      if (json) {
        const summary = JSON.parse(run.stdout) as { stopped_by: string; records: number };
        expect(summary.stopped_by).toBe('signal');
        records = summary.records;
      } else {
        const line = /^([\d,]+) events \(([\d,]+) records\) → kafka .* stopped by signal$/m.exec(run.stdout);
        expect(line, run.stdout).not.toBeNull();
        records = Number(line![2]!.replaceAll(',', ''));
        expect(run.stdout).toMatch(/ride_events [\d,]+ · user_events [\d,]+ · vehicle_events [\d,]+/);
      }
      expect(records).toBeGreaterThan(1_000);
      const landed = (await readBetween(before, await endOffsets())).filter((r) => r.key?.includes(runTag(seed)));
      // Everything the summary counts is in Kafka: the producer was flushed before exiting.
      expect(landed).toHaveLength(records);
    }, 120_000);
  }
});
