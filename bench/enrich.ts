/**
 * `npm run bench:enrich`: what `ridehail enrich` sustains, against the real broker.
 *
 * 1. Throughput: events/s with transactions on and off, beside Kafka's own consumer
 *    (org.apache.kafka.tools.ConsumerPerformance) reading the same topics: the ceiling. Reported
 *    as ratios (target: transactions on ≥ 0.5 of the ceiling). Rates are measured from the first
 *    committed batch to the last, so group joins and restores are left out, as the perf tool
 *    leaves out its rebalance time (its fetch.nMsg.sec).
 *    Two more lines say where the bound is: a kafkajs consumer that does nothing with its batches
 *    (the enrich consumer's fetch settings; the most any kafkajs-based stage can read), and the
 *    enrich processors alone on the same records in memory (no Kafka at all).
 * 2. Latency: a live stream (event time = wall time) produced at a steady 5k events/s; for every
 *    ride, produce of its last event → its enriched record readable by a read_committed consumer.
 *    p50/p99 (target p99 < 200 ms).
 * 3. Memory per open ride, in-process (heap delta over many open rides, with their remembered
 *    event ids), and the bytes a ride takes in the changelog.
 *
 * Env: RIDEHAIL_BENCH_KAFKA_BROKERS (else a private single-node Kafka is started),
 * KAFKA_HOME (a Kafka distribution for the perf tool; else the jars of the local stack),
 * RIDEHAIL_BENCH_EVENTS (default 200000), RIDEHAIL_BENCH_LATENCY_SECONDS (default 20; 0 skips),
 * RIDEHAIL_BENCH_PROFILE (a file: the CPU profile of the transactional run, .cpuprofile format,
 * with a summary by component printed).
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Kafka, Message } from 'kafkajs';
import { Partitioners } from '../src/kafka/kafkajs.js';
import { EnrichJob } from '../src/enrich/job.js';
import { readTopicToEnd, sourceConsumerConfig } from '../src/enrich/kafka-io.js';
import { defaultSettings, defaultTopics } from '../src/enrich/settings.js';
import { timeZoneLookup } from '../src/enrich/time-zones.js';
import { SourcePartitionProcessor } from '../src/enrich/source-processor.js';
import type { SourceRecord } from '../src/enrich/records.js';
import { h3Zone } from '../src/enrich/zones.js';
import { generate } from '../src/generate/job.js';
import { MemorySink } from '../src/generate/sinks.js';
import { BUILT_IN_CITIES } from '../src/generate/cities.js';
import type { OutRecord } from '../src/generate/records.js';
import { ensureKafkaDist } from '../src/local/kafka-dist.js';
import { startTestStack, testCacheDir, type TestStack } from '../test/helpers/stack.js';
import { createInputTopics, isolation, produce, testKafka } from '../test/integration/enrich-support.js';
import { completedRide, records as sourceRecords, rideEvents, T0, vehicleEvent } from '../test/unit/enrich/factories.js';

const run = promisify(execFile);
const EVENTS = Number(process.env['RIDEHAIL_BENCH_EVENTS'] ?? 200_000);
const LATENCY_SECONDS = Number(process.env['RIDEHAIL_BENCH_LATENCY_SECONDS'] ?? 20);
const LATENCY_RATE = 5_000;
const THROUGHPUT_EVENT_RATE = Number(process.env['RIDEHAIL_BENCH_EVENT_RATE'] ?? 2_000);
const PARTITIONS = 3;
/** The enrich consumer's fetch size per partition, also used by the no-op consumer. */
const FETCH_BYTES = 1 << 20;
const PROFILE = process.env['RIDEHAIL_BENCH_PROFILE'];
const cities = BUILT_IN_CITIES;

/**
 * The generator's stream in simulated time, event times in the past. `rate` is events per second
 * of event time: it sizes the fleet, and so how many windows (each a fixed cost) a count spans.
 */
async function events(count: number, seed: string, rate: number): Promise<OutRecord[]> {
  const sink = new MemorySink();
  await generate(
    {
      cities, seed, clock: 'sim', startMs: Date.now() - 6 * 3_600_000, rate, speed: 1, count,
      invalidRate: 0, duplicateRate: 0, lateRate: 0, lateByMs: 60_000, destination: 'memory', pingIntervalMs: 30_000,
    },
    sink,
  );
  return sink.records;
}

const COMMIT_INTERVAL_MS = Number(process.env['RIDEHAIL_BENCH_COMMIT_INTERVAL_MS'] ?? 0);

function job(kafka: Kafka, group: string, prefix: string, transactional: boolean): Promise<EnrichJob> {
  return EnrichJob.prepare({
    kafka, group, transactional, transactionTimeoutMs: 60_000, commitIntervalMs: COMMIT_INTERVAL_MS, concurrency: PARTITIONS, maxBytesPerPartition: FETCH_BYTES, tickMs: 500,
    settings: defaultSettings({ topics: defaultTopics(group, prefix) }), timeZoneOf: timeZoneLookup(cities),
  });
}

interface Rate {
  eventsPerSecond: number;
  seconds: number;
  /**
   * Events per second of this process's CPU time (all its threads) over the same interval. On a
   * shared machine wall-clock rates swing with the neighbours' load; this moves much less, so it
   * is what tells one version of the code from another.
   */
  eventsPerCpuSecond: number;
}

interface Observation {
  at: number;
  consumed: number;
  cpu: NodeJS.CpuUsage;
}

const observe = (consumed: number): Observation => ({ at: Date.now(), consumed, cpu: process.cpuUsage() });

/** Events/s from the first observation to the last, the events of the first one left out. */
function rateOf(first: Observation | undefined, last: Observation): Rate {
  const from = first ?? last;
  const seconds = (last.at - from.at) / 1000;
  const cpuSeconds = (last.cpu.user + last.cpu.system - from.cpu.user - from.cpu.system) / 1e6;
  const events = last.consumed - from.consumed;
  return { eventsPerSecond: events / Math.max(seconds, 1e-3), seconds, eventsPerCpuSecond: events / Math.max(cpuSeconds, 1e-3) };
}

/** Events/s of one enrich run over `total` records, first committed batch to last. */
async function throughput(kafka: Kafka, prefix: string, total: number, transactional: boolean, profileTo?: string): Promise<Rate & { transactions: number }> {
  const { group } = isolation(transactional ? 'benchtx' : 'benchnotx');
  const enrich = await job(kafka, group, prefix, transactional);
  const stop = new AbortController();
  const running = enrich.run(stop.signal);
  let first: Observation | undefined;
  let last = observe(0);
  let profiler: Promise<Session> | undefined;
  const deadline = Date.now() + 600_000;
  while (last.consumed < total && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    const consumed = enrich.status().counters.consumed;
    if (consumed > last.consumed) {
      // The profile covers what the rate covers: group join and restore are left out of both.
      if (!first && profileTo) profiler = startProfile();
      last = observe(consumed);
      first ??= last;
    }
  }
  if (profiler && profileTo) await saveProfile(await profiler, profileTo);
  stop.abort();
  await running;
  return { ...rateOf(first, last), transactions: enrich.status().transactions };
}

/**
 * A kafkajs consumer group that does nothing with its batches, with enrich's consumer settings
 * (fetch sizes, read_committed, concurrency): how fast kafkajs alone reads these topics here.
 */
async function kafkajsNoop(kafka: Kafka, prefix: string, total: number): Promise<Rate> {
  const consumer = kafka.consumer(sourceConsumerConfig(isolation('benchnoop').group, FETCH_BYTES));
  let first: Observation | undefined;
  let last = observe(0);
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: ['ride_events', 'vehicle_events', 'user_events'].map((t) => prefix + t), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch }) => {
        const consumed = last.consumed + batch.messages.length;
        last = observe(consumed);
        first ??= last;
        if (consumed >= total) finished();
      },
    });
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 600_000).unref())]);
  } finally {
    await consumer.disconnect();
  }
  return rateOf(first, last);
}

/**
 * The enrich processors alone: the same records, split over partitions as the producer split
 * them, in batches of the consumer's fetch size, processed and drained in memory. No Kafka, no
 * encoding: what one Node thread does with the events themselves.
 */
function processorsAlone(data: readonly OutRecord[], prefix: string): Rate {
  const settings = defaultSettings({ topics: defaultTopics('benchalone', prefix) });
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0] }));
  const byPartition = new Map<string, SourceRecord[]>();
  for (const r of data) {
    const topic = prefix + r.topic;
    const partition = partitioner({ topic, partitionMetadata, message: { key: r.key, value: r.value } });
    const id = `${topic}/${partition}`;
    let list = byPartition.get(id);
    if (!list) byPartition.set(id, (list = []));
    list.push({ topic, partition, offset: list.length, key: Buffer.from(r.key), value: Buffer.from(r.value), timestamp: 0 });
  }
  const started = observe(0);
  for (const list of byPartition.values()) {
    const { topic, partition } = list[0]!;
    const p = new SourcePartitionProcessor({ topic, partition }, { settings, zoneOf: h3Zone, timeZoneOf: timeZoneLookup(cities), partialsPartitions: PARTITIONS });
    for (let i = 0; i < list.length; ) {
      let bytes = 0;
      let end = i;
      while (end < list.length && bytes < FETCH_BYTES) bytes += list[end++]!.value!.length;
      p.process(list.slice(i, end), Date.now());
      p.drain();
      i = end;
    }
  }
  return rateOf(started, observe(data.length));
}

const perSecond = (r: Rate): string => `${Math.round(r.eventsPerSecond)} events/s (${Math.round(r.eventsPerCpuSecond)} per CPU-second)`;
const rates = (r: Rate): { events_per_second: number; events_per_cpu_second: number } => ({
  events_per_second: Math.round(r.eventsPerSecond), events_per_cpu_second: Math.round(r.eventsPerCpuSecond),
});

async function startProfile(): Promise<Session> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return session;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

/** Writes the profile and prints where the time went, by component and by function (self time). */
async function saveProfile(session: Session, file: string): Promise<void> {
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(profile));
  const nodes = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples?.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  const byComponent = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url } = nodes.get(id)!.callFrame;
    total += us;
    const component = componentOf(functionName, url);
    byComponent.set(component, (byComponent.get(component) ?? 0) + us);
    const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }
  const share = (entries: Map<string, number>, n: number): Record<string, string> =>
    Object.fromEntries([...entries].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => [k, `${((100 * us) / total).toFixed(1)}%`]));
  console.log(`CPU profile of the transactional run (${(total / 1e6).toFixed(1)} s sampled) in ${file}; self time by component:`);
  console.table(share(byComponent, 12));
  console.log('self time by function:');
  console.table(share(byFunction, 25));
}

function componentOf(functionName: string, url: string): string {
  if (functionName.startsWith('(')) return functionName;
  if (url.includes('/node_modules/')) {
    const pkg = url.split('/node_modules/').at(-1)!.split('/')[0]!;
    return pkg.startsWith('ajv') ? 'ajv' : pkg;
  }
  // ajv's compiled validators and the format regexps run from generated code.
  if (url === '' && (/^validate\d+$/.test(functionName) || functionName.startsWith('RegExp:'))) return 'ajv';
  if (url === '') return 'native (JSON, buffers, ...)';
  if (url.startsWith('node:')) return 'node';
  return 'ridehail';
}

/** Kafka's own consumer on the same topics: fetch.nMsg.sec (rebalance excluded). */
async function ceiling(classpath: string, brokers: string, prefix: string, total: number): Promise<number> {
  const { stdout } = await run('java', [
    '-Xmx256m', '-cp', classpath, 'org.apache.kafka.tools.ConsumerPerformance',
    '--bootstrap-server', brokers, '--include', `${prefix.replace(/\./g, '\\.')}(ride|vehicle|user)_events`,
    '--num-records', String(total), '--timeout', '60000', '--group', isolation('benchperf').group, '--hide-header',
  ], { maxBuffer: 1 << 20 });
  // start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const fields = line.split(',').map((f) => f.trim());
  return Number(fields[9]);
}

/**
 * A live stream at LATENCY_RATE events/s with event time = wall time: a ride starts every 25 ms and
 * ends 4 s later (one in ten cancelled after 1 s), and a fleet's pings fill the rest.
 */
function liveSchedule(startMs: number, seconds: number): { at: number; topic: string; key: string; value: string; last: boolean }[] {
  const out: { at: number; topic: string; key: string; value: string; last: boolean }[] = [];
  const endMs = startMs + seconds * 1000;
  let rides = 0;
  // Rides start until 4 s before the end, so that every ride has ended when the stream does.
  for (let t = startMs; t < endMs - 4_000; t += 25) {
    const city = rides % 3 === 0 ? 'lon' : 'nyc';
    const plan = rides % 10 === 9
      ? rideEvents({ city, requestedAt: t, assignedAt: t + 300, cancelledAt: t + 1_000 })
      : rideEvents({ city, requestedAt: t, assignedAt: t + 300, arrivedAt: t + 1_500, startedAt: t + 2_000, completedAt: t + 4_000 });
    rides += 1;
    plan.forEach((e, i) => out.push({ at: Date.parse(e.event_time), topic: 'ride_events', key: e.ride_id, value: JSON.stringify(e), last: i === plan.length - 1 }));
  }
  const pings = LATENCY_RATE * seconds - out.length;
  const vehicles = 20_000;
  for (let i = 0; i < pings; i++) {
    const at = startMs + Math.floor((i / pings) * seconds * 1000);
    const v = i % vehicles;
    const e = vehicleEvent({ vehicleId: `veh_${v.toString(36)}`, at, city: v % 3 === 0 ? 'lon' : 'nyc', status: v % 4 === 0 ? 'on_trip' : 'available', location: v % 3 === 0 ? { lat: 51.5 + (v % 100) / 1000, lon: -0.12 } : { lat: 40.75 + (v % 100) / 1000, lon: -73.98 } });
    out.push({ at, topic: 'vehicle_events', key: e.vehicle_id, value: JSON.stringify(e), last: false });
  }
  return out.sort((a, b) => a.at - b.at);
}

interface LatencyResult {
  p50: number;
  p99: number;
  max: number;
  /** Rides whose enriched record the live reader saw. */
  rides: number;
  /** Rides whose last event was sent: each must reach enriched_rides once. */
  expected: number;
  /** Rides the live reader saw more than once. */
  duplicates: number;
  /** Rides still unseen by the live reader at the end, and whether a fresh read of the topic has them. */
  missing: { ride_id: string; in_topic: boolean }[];
  producedPerSecond: number;
}

async function latency(kafka: Kafka): Promise<LatencyResult> {
  const { prefix, group } = isolation('benchlat');
  await createInputTopics(kafka, prefix, PARTITIONS);
  const enrich = await job(kafka, group, prefix, true);
  const stop = new AbortController();
  const running = enrich.run(stop.signal);
  while (enrich.lastActivityAtMs === null) await new Promise((r) => setTimeout(r, 50));

  const sentAt = new Map<string, number>();
  const seen = new Map<string, number>();
  let duplicates = 0;
  const reader = kafka.consumer({ groupId: isolation('benchread').group, readUncommitted: false, maxWaitTimeInMs: 20 });
  await reader.connect();
  await reader.subscribe({ topics: [`${prefix}enriched_rides`], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const key = message.key!.toString();
      const sent = sentAt.get(key);
      if (sent === undefined) return;
      if (seen.has(key)) duplicates += 1;
      else seen.set(key, Date.now() - sent);
    },
  });
  await new Promise((r) => setTimeout(r, 2_000));

  // Sends are not awaited one by one: the stream keeps its pace while acks come back.
  const producer = kafka.producer();
  await producer.connect();
  const inFlight: Promise<unknown>[] = [];
  const started = Date.now() + 100;
  const schedule = liveSchedule(started, LATENCY_SECONDS);
  const tickMs = 10;
  for (let i = 0; i < schedule.length; ) {
    const due = schedule[i]!.at;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, Math.min(tickMs, due - Date.now())));
    const now = Date.now();
    const byTopic = new Map<string, Message[]>();
    for (; i < schedule.length && schedule[i]!.at <= now; i++) {
      const r = schedule[i]!;
      let messages = byTopic.get(prefix + r.topic);
      if (!messages) byTopic.set(prefix + r.topic, (messages = []));
      messages.push({ key: r.key, value: r.value });
      if (r.last) sentAt.set(r.key, now);
    }
    if (byTopic.size > 0) inFlight.push(producer.sendBatch({ acks: 1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) }));
  }
  const producedPerSecond = schedule.length / ((Date.now() - started) / 1000);
  await Promise.all(inFlight);
  // Every ride must arrive; a fixed wait would count a slow one as lost (a run read 639 of 640).
  const deadline = Date.now() + 30_000;
  while (seen.size < sentAt.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await producer.disconnect();
  await reader.disconnect();
  stop.abort();
  await running;
  const unseen = [...sentAt.keys()].filter((k) => !seen.has(k));
  let missing: LatencyResult['missing'] = [];
  if (unseen.length > 0) {
    // Lost by enrich, or only by the live reader? A fresh read of the topic tells.
    const stored = new Set<string>();
    await readTopicToEnd(kafka, `${prefix}enriched_rides`, isolation('benchrecheck').group, (m) => stored.add(m.key?.toString() ?? ''));
    missing = unseen.map((ride_id) => ({ ride_id, in_topic: stored.has(ride_id) }));
  }
  const latencies = [...seen.values()].sort((a, b) => a - b);
  const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN, rides: latencies.length, expected: sentAt.size, duplicates, missing, producedPerSecond };
}

function memoryPerOpenRide(): { bytesPerRide: number; changelogBytesPerRide: number } {
  const gc = collectGarbage;
  const settings = defaultSettings({ dedupeCapacity: 10_000_000 });
  const p = new SourcePartitionProcessor({ topic: settings.topics.rides, partition: 0 }, { settings, zoneOf: h3Zone, timeZoneOf: timeZoneLookup(cities), partialsPartitions: 3 });
  const rides = 50_000;
  // Requested and assigned: the two steps every open ride has; all in one minute, so no window closes.
  const input = sourceRecords(settings.topics.rides, Array.from({ length: rides }, (_, i) => completedRide(T0 + (i % 50_000)).slice(0, 2)).flat());
  p.process(input.slice(0, 2), T0);
  p.drain();
  gc();
  const before = process.memoryUsage().heapUsed;
  p.process(input.slice(2), T0);
  const drained = p.drain();
  const changelogBytes = drained.state.filter((e) => e.key.startsWith('ride|')).reduce((n, e) => n + e.key.length + (e.value?.length ?? 0), 0);
  drained.outputs.length = 0;
  drained.state.length = 0;
  gc();
  const after = process.memoryUsage().heapUsed;
  if (p.openRides !== rides) throw new Error(`expected ${rides} open rides, got ${p.openRides}`);
  return { bytesPerRide: Math.round((after - before) / (rides - 1)), changelogBytesPerRide: Math.round(changelogBytes / (rides - 1)) };
}

/** Every throughput line over the same generated records (which go out of scope with it). */
async function throughputs(kafka: Kafka, brokers: string, classpath: string): Promise<{ events: number; kafkaCeiling: number; noop: Rate; alone: Rate; withTx: Rate & { transactions: number }; withoutTx: Rate & { transactions: number } }> {
  const { prefix } = isolation('bench');
  await createInputTopics(kafka, prefix, PARTITIONS);
  // A fleet the size of the measured rate: event time passes about as fast as it would live.
  const data = await events(EVENTS, 'bench-throughput', THROUGHPUT_EVENT_RATE);
  await produce(kafka, prefix, data);
  console.log(`produced ${data.length} events to ${PARTITIONS} partitions of each input topic`);

  const kafkaCeiling = await ceiling(classpath, brokers, prefix, data.length);
  console.log(`ConsumerPerformance: ${Math.round(kafkaCeiling)} events/s`);
  const noop = await kafkajsNoop(kafka, prefix, data.length);
  console.log(`kafkajs consumer, no-op eachBatch: ${perSecond(noop)}`);
  const alone = processorsAlone(data, prefix);
  console.log(`enrich processors alone, in memory: ${perSecond(alone)}`);
  const withTx = await throughput(kafka, prefix, data.length, true, PROFILE);
  console.log(`enrich, transactions: ${perSecond(withTx)} (${withTx.transactions} transactions)${PROFILE ? '; profiled, so slower than it would be' : ''}`);
  const withoutTx = await throughput(kafka, prefix, data.length, false);
  console.log(`enrich, no transactions: ${perSecond(withoutTx)}`);
  return { events: data.length, kafkaCeiling, noop, alone, withTx, withoutTx };
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function main(): Promise<void> {
  let stack: TestStack | undefined;
  const brokers = process.env['RIDEHAIL_BENCH_KAFKA_BROKERS'] ?? (stack = await startTestStack({ postgres: false })).kafkaBrokers;
  const dist = await ensureKafkaDist({ kafkaHome: process.env['KAFKA_HOME'], cacheDir: testCacheDir(), pathEnv: process.env['PATH'] });
  const kafka = testKafka(brokers);
  const loadAtStart = +loadavg()[0]!.toFixed(2);
  try {
    const memory = memoryPerOpenRide();
    console.log(`memory: ${memory.bytesPerRide} B of heap per open ride (with its event ids), ${memory.changelogBytesPerRide} B in the changelog`);

    const { events: eventCount, kafkaCeiling, noop, alone, withTx, withoutTx } = await throughputs(kafka, brokers, dist.classpath);

    // The throughput runs leave a heap full of their records and state: collected first, so the
    // latency run measures enrich rather than the collector cleaning up after the runs before it.
    collectGarbage();
    const lat = LATENCY_SECONDS > 0 ? await latency(kafka) : undefined;
    if (lat) console.log(`latency at ${Math.round(lat.producedPerSecond)} events/s: p50 ${lat.p50} ms, p99 ${lat.p99} ms, max ${lat.max} ms over ${lat.rides} of ${lat.expected} rides`);
    if (lat && lat.missing.length > 0) console.log(`MISSING from the live read: ${JSON.stringify(lat.missing)}`);
    if (lat && lat.duplicates > 0) console.log(`DUPLICATED in the live read: ${lat.duplicates} rides`);

    const ratio = (rate: number, to: number): number => +(rate / to).toFixed(3);
    const result = {
      events: eventCount,
      partitions: PARTITIONS,
      ceiling_events_per_second: Math.round(kafkaCeiling),
      kafkajs_noop: { ...rates(noop), ratio_to_ceiling: ratio(noop.eventsPerSecond, kafkaCeiling) },
      processors_alone: { ...rates(alone), ratio_to_ceiling: ratio(alone.eventsPerSecond, kafkaCeiling) },
      transactions: {
        ...rates(withTx), ratio_to_ceiling: ratio(withTx.eventsPerSecond, kafkaCeiling), target: 0.5,
        ratio_to_kafkajs_noop: ratio(withTx.eventsPerSecond, noop.eventsPerSecond), transactions: withTx.transactions,
      },
      no_transactions: {
        ...rates(withoutTx), ratio_to_ceiling: ratio(withoutTx.eventsPerSecond, kafkaCeiling),
        ratio_to_kafkajs_noop: ratio(withoutTx.eventsPerSecond, noop.eventsPerSecond),
      },
      latency_ms: lat ? { rate: Math.round(lat.producedPerSecond), p50: lat.p50, p99: lat.p99, max: lat.max, rides: lat.rides, expected_rides: lat.expected, duplicates: lat.duplicates, missing: lat.missing, target_p99: 200 } : null,
      memory: { heap_bytes_per_open_ride: memory.bytesPerRide, changelog_bytes_per_open_ride: memory.changelogBytesPerRide },
      cores: cpus().length,
      load_average: { start: loadAtStart, end: +loadavg()[0]!.toFixed(2) },
    };
    const row = (r: { events_per_second: number; events_per_cpu_second?: number; ratio_to_ceiling: number; ratio_to_kafkajs_noop?: number }): Record<string, number | null> => ({
      'events/s': r.events_per_second, 'ratio to ceiling': r.ratio_to_ceiling, 'ratio to kafkajs no-op': r.ratio_to_kafkajs_noop ?? null, 'events/CPU-s': r.events_per_cpu_second ?? null,
    });
    console.table({
      'ConsumerPerformance (Java; ceiling)': row({ events_per_second: result.ceiling_events_per_second, ratio_to_ceiling: 1 }),
      'kafkajs consumer, no-op': row({ ...result.kafkajs_noop, ratio_to_kafkajs_noop: 1 }),
      'enrich processors alone (no Kafka)': row(result.processors_alone),
      'enrich, transactions': row(result.transactions),
      'enrich, no transactions': row(result.no_transactions),
    });
    console.log(`load average ${result.load_average.start} at the start, ${result.load_average.end} at the end, on ${result.cores} cores`);
    const verdict = result.transactions.ratio_to_ceiling >= 0.5 ? 'met' : 'MISSED';
    console.log(`target (transactions >= 0.5 of ConsumerPerformance): ${verdict}, ratio ${result.transactions.ratio_to_ceiling}`);
    const out = join(process.cwd(), 'test-output', 'bench');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'enrich.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await stack?.stop();
  }
}

await main();
process.exit(0);
