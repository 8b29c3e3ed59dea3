/**
 * `npm run bench:enrich`: what `ridehail enrich` sustains, against the real broker.
 *
 * 1. Throughput: events/s with transactions on and off, beside Kafka's own consumer
 *    (org.apache.kafka.tools.ConsumerPerformance) reading the same topics: the ceiling. Reported
 *    as ratios (target: transactions on ≥ 0.5 of the ceiling). Rates are measured from the first
 *    committed batch to the last, so group joins and restores are left out, as the perf tool
 *    leaves out its rebalance time (its fetch.nMsg.sec).
 * 2. Latency: a live stream (event time = wall time) produced at a steady 5k events/s; for every
 *    ride, produce of its last event → its enriched record readable by a read_committed consumer.
 *    p50/p99 (target p99 < 200 ms).
 * 3. Memory per open ride, in-process (heap delta over many open rides, with their remembered
 *    event ids), and the bytes a ride takes in the changelog.
 *
 * Env: RIDEHAIL_BENCH_KAFKA_BROKERS (else a private single-node Kafka is started),
 * KAFKA_HOME (a Kafka distribution for the perf tool; else the jars of the local stack),
 * RIDEHAIL_BENCH_EVENTS (default 200000), RIDEHAIL_BENCH_LATENCY_SECONDS (default 20).
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Kafka, Message } from 'kafkajs';
import { EnrichJob } from '../src/enrich/job.js';
import { defaultSettings, defaultTopics } from '../src/enrich/settings.js';
import { timeZoneLookup } from '../src/enrich/time-zones.js';
import { SourcePartitionProcessor } from '../src/enrich/source-processor.js';
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
    kafka, group, transactional, transactionTimeoutMs: 60_000, commitIntervalMs: COMMIT_INTERVAL_MS, concurrency: PARTITIONS, maxBytesPerPartition: 1 << 20, tickMs: 500,
    settings: defaultSettings({ topics: defaultTopics(group, prefix) }), timeZoneOf: timeZoneLookup(cities),
  });
}

/** Events/s of one enrich run over `total` records, first committed batch to last. */
async function throughput(kafka: Kafka, prefix: string, total: number, transactional: boolean): Promise<{ eventsPerSecond: number; seconds: number; transactions: number }> {
  const { group } = isolation(transactional ? 'benchtx' : 'benchnotx');
  const enrich = await job(kafka, group, prefix, transactional);
  const stop = new AbortController();
  const running = enrich.run(stop.signal);
  let first: { at: number; consumed: number } | undefined;
  let last = { at: 0, consumed: 0 };
  const deadline = Date.now() + 600_000;
  while (last.consumed < total && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    const consumed = enrich.status().counters.consumed;
    if (consumed > last.consumed) {
      first ??= { at: Date.now(), consumed };
      last = { at: Date.now(), consumed };
    }
  }
  stop.abort();
  await running;
  const seconds = (last.at - (first?.at ?? last.at)) / 1000;
  return { eventsPerSecond: (last.consumed - (first?.consumed ?? 0)) / Math.max(seconds, 1e-3), seconds, transactions: enrich.status().transactions };
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

async function latency(kafka: Kafka): Promise<{ p50: number; p99: number; max: number; rides: number; producedPerSecond: number }> {
  const { prefix, group } = isolation('benchlat');
  await createInputTopics(kafka, prefix, PARTITIONS);
  const enrich = await job(kafka, group, prefix, true);
  const stop = new AbortController();
  const running = enrich.run(stop.signal);
  while (enrich.lastActivityAtMs === null) await new Promise((r) => setTimeout(r, 50));

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const reader = kafka.consumer({ groupId: isolation('benchread').group, readUncommitted: false, maxWaitTimeInMs: 20 });
  await reader.connect();
  await reader.subscribe({ topics: [`${prefix}enriched_rides`], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const sent = sentAt.get(message.key!.toString());
      if (sent !== undefined) latencies.push(Date.now() - sent);
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
  await new Promise((r) => setTimeout(r, 3_000));
  await producer.disconnect();
  await reader.disconnect();
  stop.abort();
  await running;
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN, rides: latencies.length, producedPerSecond };
}

function memoryPerOpenRide(): { bytesPerRide: number; changelogBytesPerRide: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
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

async function main(): Promise<void> {
  let stack: TestStack | undefined;
  const brokers = process.env['RIDEHAIL_BENCH_KAFKA_BROKERS'] ?? (stack = await startTestStack({ postgres: false })).kafkaBrokers;
  const dist = await ensureKafkaDist({ kafkaHome: process.env['KAFKA_HOME'], cacheDir: testCacheDir(), pathEnv: process.env['PATH'] });
  const kafka = testKafka(brokers);
  try {
    const memory = memoryPerOpenRide();
    console.log(`memory: ${memory.bytesPerRide} B of heap per open ride (with its event ids), ${memory.changelogBytesPerRide} B in the changelog`);

    const { prefix } = isolation('bench');
    await createInputTopics(kafka, prefix, PARTITIONS);
    // A fleet the size of the measured rate: event time passes about as fast as it would live.
    const data = await events(EVENTS, 'bench-throughput', THROUGHPUT_EVENT_RATE);
    await produce(kafka, prefix, data);
    console.log(`produced ${data.length} events to ${PARTITIONS} partitions of each input topic`);

    const kafkaCeiling = await ceiling(dist.classpath, brokers, prefix, data.length);
    console.log(`ConsumerPerformance: ${Math.round(kafkaCeiling)} events/s`);
    const withTx = await throughput(kafka, prefix, data.length, true);
    console.log(`enrich, transactions: ${Math.round(withTx.eventsPerSecond)} events/s (${withTx.transactions} transactions)`);
    const withoutTx = await throughput(kafka, prefix, data.length, false);
    console.log(`enrich, no transactions: ${Math.round(withoutTx.eventsPerSecond)} events/s`);

    const lat = await latency(kafka);
    console.log(`latency at ${Math.round(lat.producedPerSecond)} events/s: p50 ${lat.p50} ms, p99 ${lat.p99} ms, max ${lat.max} ms over ${lat.rides} rides`);

    const result = {
      events: data.length,
      partitions: PARTITIONS,
      ceiling_events_per_second: Math.round(kafkaCeiling),
      transactions: { events_per_second: Math.round(withTx.eventsPerSecond), ratio_to_ceiling: +(withTx.eventsPerSecond / kafkaCeiling).toFixed(3), target: 0.5 },
      no_transactions: { events_per_second: Math.round(withoutTx.eventsPerSecond), ratio_to_ceiling: +(withoutTx.eventsPerSecond / kafkaCeiling).toFixed(3) },
      latency_ms: { rate: Math.round(lat.producedPerSecond), p50: lat.p50, p99: lat.p99, max: lat.max, rides: lat.rides, target_p99: 200 },
      memory: { heap_bytes_per_open_ride: memory.bytesPerRide, changelog_bytes_per_open_ride: memory.changelogBytesPerRide },
    };
    console.table({
      'kafka consumer (ceiling)': { 'events/s': result.ceiling_events_per_second, ratio: 1 },
      'enrich, transactions': { 'events/s': result.transactions.events_per_second, ratio: result.transactions.ratio_to_ceiling },
      'enrich, no transactions': { 'events/s': result.no_transactions.events_per_second, ratio: result.no_transactions.ratio_to_ceiling },
    });
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
