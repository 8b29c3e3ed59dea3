/**
 * `npm run bench:generate`: how fast `ridehail generate --rate max` pushes events into a real
 * broker, beside Kafka's own producer (org.apache.kafka.tools.ProducerPerformance, what
 * kafka-producer-perf-test.sh runs) on the same broker, with the same acks and the generator's mean
 * record size. Target: the generator reaches at least half of Kafka's own tool.
 *
 * 1. The record size: the same run (same seed, simulated clock, count) into a counting sink,
 *    in-process; a seeded simulated run is byte-identical, so these are the CLI's records.
 * 2. The generator: the CLI in a child process, `generate --rate max --clock sim --count N --json`,
 *    into the broker through its real Kafka sink. Its rate is records over the run's wall time up to
 *    the last acknowledgement (the summary's records_per_second); the topics' end offsets must
 *    have grown by exactly the records it reports.
 * 3. ProducerPerformance: N records of that size to a topic with the same partitions, acks=all (the
 *    generator's sink sends acks -1), idempotent like the sink, producer defaults otherwise.
 *
 * Env: RIDEHAIL_BENCH_KAFKA_BROKERS (else a private single-node Kafka is started; with an external
 * cluster the generator writes to its usual ride_events/user_events/vehicle_events topics),
 * KAFKA_HOME (a Kafka distribution for the perf tool; else the jars of the local stack),
 * RIDEHAIL_BENCH_EVENTS (default 1000000), RIDEHAIL_BENCH_CITIES (default all built-ins),
 * RIDEHAIL_BENCH_CLI (set by bench/generate.mjs: bin/ridehail.js of this checkout).
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { SOURCE_TOPICS } from '../src/contract/topics.js';
import { selectCities } from '../src/generate/cities.js';
import { generate, type GenerateParams, type GenerateSummary } from '../src/generate/job.js';
import type { OutRecord } from '../src/generate/records.js';
import type { EventSink } from '../src/generate/sinks.js';
import { ensureKafkaDist } from '../src/local/kafka-dist.js';
import { startTestStack, testCacheDir, type TestStack } from '../test/helpers/stack.js';
import { isolation, testKafka } from '../test/integration/enrich-support.js';

const run = promisify(execFile);
const EVENTS = Number(process.env['RIDEHAIL_BENCH_EVENTS'] ?? 1_000_000);
const CITIES = process.env['RIDEHAIL_BENCH_CITIES']?.split(',');
const PARTITIONS = 3;
const SEED = 'bench-generate';
const START = '2026-01-05T06:00:00.000Z';
const ACKS = 'all';

/** Counts records and their bytes; keeps nothing, so a million records cost no memory. */
class CountingSink implements EventSink {
  readonly description = 'counting';
  records = 0;
  keyBytes = 0;
  valueBytes = 0;

  async write(records: readonly OutRecord[]): Promise<void> {
    for (const record of records) {
      this.records++;
      this.keyBytes += Buffer.byteLength(record.key);
      this.valueBytes += Buffer.byteLength(record.value);
    }
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

async function recordSize(): Promise<{ key: number; value: number; simulationPerSecond: number }> {
  const sink = new CountingSink();
  const started = performance.now();
  const params: GenerateParams = {
    cities: selectCities(CITIES), seed: SEED, clock: 'sim', startMs: Date.parse(START), rate: 'max', speed: 1, count: EVENTS,
    invalidRate: 0, duplicateRate: 0, lateRate: 0, lateByMs: 300_000, destination: 'counting',
  };
  await generate(params, sink);
  const seconds = (performance.now() - started) / 1000;
  return { key: sink.keyBytes / sink.records, value: sink.valueBytes / sink.records, simulationPerSecond: Math.round(sink.records / seconds) };
}

/** Sum of the topics' end offsets. Right after creation a partition may not know its leader yet; retried. */
async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        let total = 0;
        for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high);
        return total;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

async function createTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })) });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * CPU seconds (user + system) from /proc, Linux only: a running process's own, or what this
 * process's waited-for children used (the generator and ProducerPerformance run as children, one
 * after the other). Undefined where /proc is not there.
 */
const CLOCK_TICKS = 100;
function procCpuSeconds(pid: number | 'self', children: boolean): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const at = children ? 13 : 11;
    return (Number(fields[at]) + Number(fields[at + 1])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** The CPU the generator or the perf tool (a child) and the broker took while it ran. */
async function withCpu<T>(brokerPid: number | undefined, work: () => Promise<T>): Promise<{ value: T; clientCpu?: number; brokerCpu?: number }> {
  const client0 = procCpuSeconds('self', true);
  const broker0 = brokerPid === undefined ? undefined : procCpuSeconds(brokerPid, false);
  const value = await work();
  const client1 = procCpuSeconds('self', true);
  const broker1 = brokerPid === undefined ? undefined : procCpuSeconds(brokerPid, false);
  return {
    value,
    ...(client0 !== undefined && client1 !== undefined ? { clientCpu: +(client1 - client0).toFixed(2) } : {}),
    ...(broker0 !== undefined && broker1 !== undefined ? { brokerCpu: +(broker1 - broker0).toFixed(2) } : {}),
  };
}

/** The CLI as a user runs it; resolves with its --json summary. */
function generator(brokers: string): Promise<GenerateSummary> {
  const cli = process.env['RIDEHAIL_BENCH_CLI'];
  if (!cli) throw new Error('RIDEHAIL_BENCH_CLI is not set: run the benchmark with `npm run bench:generate`');
  const args = [cli, 'generate', '--brokers', brokers, '--rate', 'max', '--clock', 'sim', '--start', START, '--seed', SEED, '--count', String(EVENTS), '--json'];
  if (CITIES) args.push('--cities', CITIES.join(','));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`ridehail generate exited with ${code}: ${stderr.trim()}`));
      try {
        resolve(JSON.parse(stdout) as GenerateSummary);
      } catch (error) {
        reject(new Error(`ridehail generate printed no JSON summary (${(error as Error).message}): ${stdout.slice(0, 500)}`));
      }
    });
  });
}

interface PerfResult {
  recordsPerSecond: number;
  mbPerSecond: number;
  avgLatencyMs: number;
  line: string;
}

async function producerPerformance(classpath: string, brokers: string, topic: string, records: number, size: number): Promise<PerfResult> {
  const { stdout } = await run('java', [
    '-Xmx512m', '-cp', classpath, 'org.apache.kafka.tools.ProducerPerformance',
    '--topic', topic, '--num-records', String(records), '--record-size', String(size), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${brokers}`, `acks=${ACKS}`, 'enable.idempotence=true',
  ], { maxBuffer: 16 << 20 });
  // "N records sent, R records/sec (M MB/sec), L ms avg latency, …": the last line is the whole run.
  const line = stdout.trim().split('\n').filter((l) => l.includes('records sent')).at(-1) ?? '';
  const match = /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency/.exec(line);
  if (!match) throw new Error(`unexpected ProducerPerformance output: ${stdout.slice(-500)}`);
  return { recordsPerSecond: Number(match[1]), mbPerSecond: Number(match[2]), avgLatencyMs: Number(match[3]), line };
}

function cpuOf(run: { clientCpu?: number; brokerCpu?: number }, records: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (run.clientCpu !== undefined) out['client_seconds'] = run.clientCpu;
  if (run.brokerCpu !== undefined) out['broker_seconds'] = run.brokerCpu;
  if (run.clientCpu !== undefined && run.brokerCpu !== undefined) out['us_per_record'] = +(((run.clientCpu + run.brokerCpu) / records) * 1e6).toFixed(1);
  return out;
}

async function main(): Promise<void> {
  let stack: TestStack | undefined;
  const brokers = process.env['RIDEHAIL_BENCH_KAFKA_BROKERS'] ?? (stack = await startTestStack({ postgres: false })).kafkaBrokers;
  const dist = await ensureKafkaDist({ kafkaHome: process.env['KAFKA_HOME'], cacheDir: testCacheDir(), pathEnv: process.env['PATH'] });
  const kafka = testKafka(brokers);
  try {
    const size = await recordSize();
    const recordBytes = Math.round(size.key + size.value);
    console.log(`record size: ${size.value.toFixed(1)} B value + ${size.key.toFixed(1)} B key ≈ ${recordBytes} B (mean over ${EVENTS} records)`);
    console.log(`the same run without Kafka (simulation, serialisation, no sink): ${size.simulationPerSecond} events/s`);

    const topics = SOURCE_TOPICS.map((t) => t.name);
    await createTopics(kafka, topics);
    // The private broker's pid, for its CPU; an external cluster's is not ours to read.
    const brokerPid = stack?.result.processes.find((p) => p.pid !== null && p.name.startsWith('kafka'))?.pid ?? undefined;
    const before = await endOffsets(kafka, topics);
    const generated = await withCpu(brokerPid, () => generator(brokers));
    const summary = generated.value;
    const landed = (await endOffsets(kafka, topics)) - before;
    if (landed !== summary.records) throw new Error(`the generator reported ${summary.records} records but ${landed} landed in Kafka`);
    const genMb = (summary.records_per_second * recordBytes) / (1 << 20);
    console.log(`ridehail generate --rate max: ${summary.records_per_second} events/s (${genMb.toFixed(2)} MB/s), ${summary.records} records in ${summary.wall_seconds} s`);

    const perfTopic = `${isolation('benchperf').prefix}perf`;
    await createTopics(kafka, [perfTopic]);
    const perfRun = await withCpu(brokerPid, () => producerPerformance(dist.classpath, brokers, perfTopic, EVENTS, recordBytes));
    const perf = perfRun.value;
    console.log(`ProducerPerformance: ${perf.line}`);

    const ratio = summary.records_per_second / perf.recordsPerSecond;
    const result = {
      events: EVENTS,
      partitions: PARTITIONS,
      acks: ACKS,
      record_bytes: { key: +size.key.toFixed(1), value: +size.value.toFixed(1), total: recordBytes },
      generator: { events_per_second: summary.records_per_second, mb_per_second: +genMb.toFixed(2), wall_seconds: summary.wall_seconds },
      simulation_only_events_per_second: size.simulationPerSecond,
      producer_performance: { records_per_second: Math.round(perf.recordsPerSecond), mb_per_second: perf.mbPerSecond, avg_latency_ms: perf.avgLatencyMs },
      ratio: +ratio.toFixed(3),
      target: 0.5,
      // CPU seconds over the whole run, and per record in microseconds: on two cores shared by
      // client and broker, these say how close to the machine's limit each side ran.
      cpu: {
        generator: cpuOf(generated, summary.records),
        producer_performance: cpuOf(perfRun, EVENTS),
      },
      load_average_1m: +loadavg()[0]!.toFixed(2),
    };
    console.table({
      'ProducerPerformance (Kafka)': { 'records/s': result.producer_performance.records_per_second, 'MB/s': perf.mbPerSecond, ratio: 1 },
      'ridehail generate --rate max': { 'records/s': summary.records_per_second, 'MB/s': result.generator.mb_per_second, ratio: result.ratio },
    });
    const out = join(process.cwd(), 'test-output', 'bench');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'generate.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    if (ratio < result.target) console.log(`below target: ${result.ratio} < ${result.target}`);
  } finally {
    await stack?.stop();
  }
}

// kafkajs can reject an inner promise of a request that already failed; that must not kill the
// process before the private broker is stopped.
process.on('unhandledRejection', (reason) => console.warn(`ignored: ${(reason as Error).message ?? String(reason)}`));
await main();
process.exit(0);
