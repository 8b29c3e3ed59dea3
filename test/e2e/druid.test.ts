/**
 * `ridehail druid` end to end against a real Apache Druid (started here on free ports, its
 * metadata in the test Postgres) and the test Kafka: `generate --clock sim` a known hour with a
 * seed, `enrich` it, `druid submit`, and Druid SQL must count, city by city, exactly the completed
 * rides the generator's manifest counted. Every step is the real CLI in a child process.
 *
 * In CI (CI=true) a Druid that cannot be had fails the file; elsewhere its tests are skipped with
 * the reason, since the distribution is a 200 MB Maven fetch (`ridehail local install --druid`).
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RideMetrics } from '../../src/contract/generated/ride_metrics.js';
import type { Manifest } from '../../src/generate/manifest.js';
import { fromJsonLine } from '../../src/generate/records.js';
import { createKafka } from '../../src/kafka/client.js';
import { readTopicToEnd } from '../../src/enrich/kafka-io.js';
import { DRUID_TASK_SLOTS } from '../../src/local/druid-stack.js';
import { ensureDruidDistribution, startDruid, stopDruid, type StartedDruid } from '../../src/local/druid.js';
import { findFreePort, findFreePortBase } from '../../src/local/free-port.js';
import { druidHistory } from '../../src/dashboard/druid-history.js';
import { DruidClient } from '../../src/druid/client.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { eventually as until } from '../helpers/eventually.js';
import { makeTempRoot, testCacheDir } from '../helpers/stack.js';

const brokers = inject('kafkaBrokers');
const databaseUrl = inject('databaseUrl');
const suffix = randomBytes(4).toString('hex');
// Own topics, datasources, group and metadata database: the shared broker and Postgres outlive this file.
const prefix = `e2e${suffix}_`;
const latePrefix = `e2e${suffix}late_`;
const metadataDatabase = `druid_e2e_${suffix}`;
const envPrefix = `e2e${suffix}env_`;
const BOOTSTRAP_ENV = `RIDEHAIL_E2E_BOOTSTRAP_${suffix.toUpperCase()}`;
const CITIES = ['nyc', 'lon', 'par'];
const HOUR = 3_600_000;
// An hour of event time that ended two hours ago, so "the last day" in Druid SQL covers it.
const START = new Date(Math.floor((Date.now() - 3 * HOUR) / HOUR) * HOUR).toISOString();

const log = (msg: string): void => console.log(`[druid-e2e] ${msg}`);

interface Supervisor {
  id: string;
  state: string;
  healthy: boolean | null;
  suspended: boolean;
  lag: number | null;
  tasks: { reading: number; waiting: number; publishing: number };
}

describe('ridehail druid against a real Druid', () => {
  let root = '';
  let druid: StartedDruid | undefined;
  let unavailable: string | undefined;
  let manifest: Manifest;
  let env: NodeJS.ProcessEnv;
  const timings: Record<string, number> = {};

  const cli = async (...args: string[]): Promise<CliRun> => runCli(args, env);
  const ok = async (...args: string[]): Promise<CliRun> => {
    const run = await cli(...args);
    expect(run.code, `ridehail ${args.join(' ')}\n${run.stderr}`).toBe(0);
    return run;
  };
  const query = async <T = Record<string, unknown>>(sql: string): Promise<T[]> => JSON.parse((await ok('druid', 'query', sql, '--json')).stdout) as T[];
  const supervisors = async (): Promise<Supervisor[]> => (JSON.parse((await ok('druid', 'status', '--json')).stdout) as { supervisors: Supervisor[] }).supervisors;
  const ours = async (): Promise<Supervisor[]> => (await supervisors()).filter((s) => s.id.startsWith(prefix));
  const skipWithoutDruid = (ctx: { skip: (note?: string) => void }): void => {
    if (unavailable !== undefined) ctx.skip(`no Druid: ${unavailable}`);
  };

  beforeAll(async () => {
    try {
      await ensureDruidDistribution(testCacheDir(), log);
    } catch (error) {
      // CI fetched it in .ci/run; not having it there is a failure, not a reason to skip.
      if (process.env['CI'] === 'true') throw error;
      unavailable = (error as Error).message.split('\n')[0];
      return;
    }
    root = await makeTempRoot('ridehail-druid-e2e-');
    const routerPort = await findFreePortBase([0, 1, 2, 3, 4, 5]);
    const zkPort = await findFreePort();

    // Druid's processes inherit this environment: the variable --consumer-property-env points at.
    process.env[BOOTSTRAP_ENV] = brokers;
    const startedAt = Date.now();
    const starting = startDruid({
      cacheDir: testCacheDir(),
      dataDir: join(root, 'druid'),
      logDir: join(root, 'logs'),
      zkPort,
      routerPort,
      metadata: { postgresUrl: databaseUrl, database: metadataDatabase },
      properties: { indexer: { 'druid.worker.capacity': String(DRUID_TASK_SLOTS) } },
      javaHome: process.env['JAVA_HOME'],
      log,
    }).then((d) => {
      timings['druid start s'] = (Date.now() - startedAt) / 1000;
      return d;
    });
    // Whatever happens below, a started Druid is stopped in afterAll.
    starting.then((d) => (druid = d)).catch(() => undefined);
    env = { KAFKA_BROKERS: brokers, DRUID_URL: `http://127.0.0.1:${routerPort}` };

    // Meanwhile, the pipeline: a clean hour (its manifest is the expected answer), and a second,
    // smaller one whose windows enrich re-emits: revisions for Druid to sort out.
    manifest = await pipeline(prefix, '1h', []);
    await pipeline(latePrefix, '20m', ['--late-rate', '0.03'], { holdBackLate: true });

    druid = await starting;
    log(`Druid up in ${timings['druid start s']} s at ${druid.routerUrl}`);
  }, 300_000);

  /**
   * generate → our topics → enrich, each step timed; returns the generator's manifest.
   *
   * With `holdBackLate`, the records the generator made late are produced only after enrich has
   * read everything else, and enrich then runs again on them. Neither run lets a clock advance
   * with wall time (the stream is hours old) nor a window become final, so every late event
   * corrects a window the merger has already written: revisions by construction. Left to timing
   * (late events mixed into the stream) there were none whenever each partition's records came
   * in one or two fetches, as on a quiet machine, since a source's correction then reached the
   * merger before the slowest source had let the window fire.
   */
  async function pipeline(topicPrefix: string, duration: string, extra: string[], options: { holdBackLate?: boolean } = {}): Promise<Manifest> {
    const file = join(root, `${topicPrefix}hour.jsonl`);
    const manifestFile = join(root, `${topicPrefix}manifest.json`);
    const label = topicPrefix === prefix ? '' : 'late ';
    let t = Date.now();
    await ok(
      'generate', '--clock', 'sim', '--start', START, '--duration', duration, '--seed', 'druid-e2e', '--cities', CITIES.join(','),
      '--rate', '10', '--ping-interval', '5m', '--out', file, '--manifest', manifestFile, ...extra,
    );
    timings[`${label}generate s`] = (Date.now() - t) / 1000;
    const generated = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    const late = new Set(generated.faults.records.filter((f) => f.kind === 'late').map((f) => f.event_id));
    const isLate = (line: string): boolean => {
      const { value, json } = fromJsonLine(line);
      return json && late.has((JSON.parse(value) as { event_id?: string }).event_id ?? '');
    };
    const phases = options.holdBackLate ? [lines.filter((l) => !isLate(l)), lines.filter(isLate)] : [lines];
    if (options.holdBackLate) expect(phases[1]!.length, 'late records held back').toBeGreaterThan(0);
    const enrichFlags = options.holdBackLate ? ['--idle-timeout', '1h', '--allowed-lateness', '1h'] : ['--idle-timeout', '1s'];
    for (const [i, records] of phases.entries()) {
      const phase = phases.length > 1 ? ` ${i + 1}` : '';
      t = Date.now();
      await produceLines(records, topicPrefix);
      timings[`${label}produce${phase} s`] = (Date.now() - t) / 1000;
      t = Date.now();
      const enrich = await ok('enrich', '--group', `${topicPrefix}enrich`, '--topic-prefix', topicPrefix, ...enrichFlags, '--stop-when-idle', '10s', '--json');
      timings[`${label}enrich${phase} s`] = (Date.now() - t) / 1000;
      log(`enrich ${topicPrefix}${phase}: ${JSON.stringify((JSON.parse(enrich.stdout) as { counters: unknown }).counters)}`);
    }
    return generated;
  }

  async function produceLines(lines: readonly string[], topicPrefix: string): Promise<void> {
    const kafka = createKafka({ brokers: brokers.split(','), clientId: 'druid-e2e', ssl: false });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: ['ride_events', 'vehicle_events', 'user_events'].map((t) => ({ topic: topicPrefix + t, numPartitions: 3, replicationFactor: 1 })),
      });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < lines.length; i += 5_000) {
        const byTopic = new Map<string, { key: string; value: string }[]>();
        for (const line of lines.slice(i, i + 5_000)) {
          const r = fromJsonLine(line);
          const list = byTopic.get(topicPrefix + r.topic) ?? [];
          list.push({ key: r.key, value: r.value });
          byTopic.set(topicPrefix + r.topic, list);
        }
        await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      }
    } finally {
      await producer.disconnect();
    }
  }

  afterAll(async () => {
    log(`timings: ${JSON.stringify(timings)}`);
    if (druid !== undefined) await stopDruid(druid.pids, 30_000);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect().then(
      () => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(metadataDatabase)} WITH (FORCE)`).finally(() => client.end()),
      () => undefined,
    );
    if (root !== '' && process.env['RIDEHAIL_KEEP_TEST_STACKS'] !== '1') await rm(root, { recursive: true, force: true });
  }, 120_000);

  it('creates one supervisor per spec, and Druid SQL counts the completed rides per city the generator counted', async (ctx) => {
    skipWithoutDruid(ctx);
    const submitted = Date.now();
    const submit = await ok('druid', 'submit', '--topic-prefix', prefix, '--json');
    expect((JSON.parse(submit.stdout) as { action: string }[]).map((r) => r.action)).toEqual(['created', 'created', 'created', 'created']);
    expect(submit.stderr).not.toMatch(/task slot/);

    const expected = Object.fromEntries(CITIES.map((c) => [c, manifest.cities[c]!.rides_completed]));
    expect(Object.values(expected).every((n) => n > 10)).toBe(true);
    const sql = `SELECT city, COUNT(*) AS rides FROM "${prefix}enriched_rides" WHERE status = 'completed' GROUP BY city ORDER BY city`;
    await until('the first row in Druid', 120_000, async () => ((await query(sql)).length > 0 ? true : undefined));
    timings['submit to first row s'] = (Date.now() - submitted) / 1000;
    const counted = await until('every completed ride in Druid', 120_000, async () => {
      const rows = await query<{ city: string; rides: number }>(sql);
      const byCity = Object.fromEntries(rows.map((r) => [r.city, r.rides]));
      return CITIES.every((c) => byCity[c] === expected[c]) ? byCity : undefined;
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}; Druid has ${JSON.stringify(await query(sql))}, the manifest ${JSON.stringify(expected)}`);
    });
    timings['submit to all rides s'] = (Date.now() - submitted) / 1000;
    expect(counted).toEqual(expected);

    // No ride twice: ingestion from the transactional topic is exactly once too. (COUNT(DISTINCT)
    // is an HLL estimate in Druid unless the query context says otherwise.)
    const exact = await ok('druid', 'query', `SELECT COUNT(*) AS rides, COUNT(DISTINCT ride_id) AS ids FROM "${prefix}enriched_rides"`, '--json', '-c', 'useApproximateCountDistinct=false');
    const [distinct] = JSON.parse(exact.stdout) as { rides: number; ids: number }[];
    expect(distinct!.rides).toBe(distinct!.ids);
  }, 300_000);

  it("answers the seed's example query: completed rides per driver in the last day", async (ctx) => {
    skipWithoutDruid(ctx);
    const rows = await query<{ driver_id: string; rides: number }>(
      `SELECT driver_id, COUNT(*) AS rides FROM "${prefix}enriched_rides" WHERE __time >= CURRENT_TIMESTAMP - INTERVAL '1' DAY AND status = 'completed' GROUP BY driver_id ORDER BY rides DESC, driver_id`,
    );
    const total = CITIES.reduce((n, c) => n + manifest.cities[c]!.rides_completed, 0);
    expect(rows.reduce((n, r) => n + r.rides, 0)).toBe(total);
    expect(rows.every((r) => /^drv_/.test(r.driver_id) && r.rides >= 1)).toBe(true);
    const table = await ok('druid', 'query', `SELECT driver_id, COUNT(*) AS rides FROM "${prefix}enriched_rides" WHERE __time >= CURRENT_TIMESTAMP - INTERVAL '1' DAY GROUP BY 1 ORDER BY 2 DESC LIMIT 3`);
    expect(table.stdout.split('\n')[0]).toMatch(/^driver_id\s+rides$/);
    expect(table.stdout).toMatch(/\(3 rows, [\d.]+ s\)/);
  }, 60_000);

  it("feeds the dashboard's Druid history: hour by hour, each city's completed and cancelled rides add up to the manifest", async (ctx) => {
    skipWithoutDruid(ctx);
    const history = druidHistory(env['DRUID_URL']!, `${prefix}enriched_rides`);
    try {
      for (const city of CITIES) {
        const result = await history.get(city, 6);
        expect(result, `${city}: ${JSON.stringify({ ...result, points: result.points.length })}`).toMatchObject({ city, source: 'druid', available: true, currency: manifest.cities[city]!.currency });
        expect(result.points).toHaveLength(6);
        const sum = (pick: (p: (typeof result.points)[number]) => number): number => result.points.reduce((n, p) => n + pick(p), 0);
        expect(sum((p) => p.completed), city).toBe(manifest.cities[city]!.rides_completed);
        expect(sum((p) => p.cancelled), city).toBe(manifest.cities[city]!.rides_cancelled);
        expect(sum((p) => p.revenue), city).toBeCloseTo(manifest.cities[city]!.revenue, 1);
        // Every ride that ended was requested within the range: one request per ended ride.
        expect(sum((p) => p.requested), city).toBe(sum((p) => p.completed + p.cancelled));
      }
      // The page asks again every minute; within the TTL that costs Druid nothing.
      const asked = history.queries();
      await history.get(CITIES[0]!, 6);
      expect(history.queries()).toBe(asked);
    } finally {
      await history.close();
    }
  }, 60_000);

  it('rolls raw ride events up per minute with counts, sums and sketches that add up to the manifest', async (ctx) => {
    skipWithoutDruid(ctx);
    const sql = `SELECT city, SUM("events") FILTER (WHERE event_type = 'ride_completed') AS completed,
      SUM(fare_total_sum) AS revenue, APPROX_COUNT_DISTINCT_DS_THETA(unique_rides) FILTER (WHERE event_type = 'ride_requested') AS requested,
      COUNT(*) AS stored_rows, SUM("events") AS events
      FROM "${prefix}ride_events" GROUP BY city ORDER BY city`;
    const rows = await until('every ride event in Druid', 120_000, async () => {
      const got = await query<{ city: string; completed: number; revenue: number; requested: number; stored_rows: number; events: number }>(sql);
      return got.reduce((n, r) => n + r.events, 0) === manifest.totals.by_topic['ride_events']!.events ? got : undefined;
    });
    for (const city of CITIES) {
      const row = rows.find((r) => r.city === city)!;
      expect(row.completed, city).toBe(manifest.cities[city]!.rides_completed);
      // A theta sketch is exact below its size (16384 entries): a city's hour is well below.
      expect(row.requested, city).toBe(manifest.cities[city]!.rides_requested);
      expect(row.revenue, city).toBeCloseTo(manifest.cities[city]!.revenue, 2);
    }
    const stored = rows.reduce((n, r) => n + r.stored_rows, 0);
    const events = rows.reduce((n, r) => n + r.events, 0);
    log(`ride_events: ${events} events in ${stored} rolled-up rows`);
    expect(stored).toBeLessThan(events);
  }, 180_000);

  it('keeps every window revision and reads the latest one back, as enrich last wrote it', async (ctx) => {
    skipWithoutDruid(ctx);
    await ok('druid', 'submit', '--spec', 'ride_metrics_1m', '--topic-prefix', latePrefix);
    const kafka = createKafka({ brokers: brokers.split(','), clientId: 'druid-e2e', ssl: false });
    const latest = new Map<string, RideMetrics>();
    let records = 0;
    await readTopicToEnd(kafka, `${latePrefix}ride_metrics_1m`, `${latePrefix}reader`, (m) => {
      const value = JSON.parse(m.value!.toString()) as RideMetrics;
      records += 1;
      const key = `${value.city}|${value.window_start}`;
      if ((latest.get(key)?.revision ?? -1) < value.revision) latest.set(key, value);
    });
    const revised = [...latest.values()].filter((m) => m.revision > 0).length;
    log(`ride_metrics_1m: ${records} records, ${latest.size} windows, ${revised} revised`);
    expect(revised).toBeGreaterThan(0);

    const sql = `SELECT city, __time AS window_start, COUNT(*) AS versions,
      LATEST_BY(rides_completed, MILLIS_TO_TIMESTAMP(revision)) AS rides_completed, LATEST_BY(revenue, MILLIS_TO_TIMESTAMP(revision)) AS revenue,
      MAX(revision) AS revision FROM "${latePrefix}ride_metrics_1m" GROUP BY 1, 2`;
    const rows = await until('every window revision in Druid', 120_000, async () => {
      const got = await query<{ city: string; window_start: string; versions: number; rides_completed: number; revenue: number; revision: number }>(sql);
      return got.reduce((n, r) => n + r.versions, 0) === records ? got : undefined;
    });
    const fromDruid = new Map(rows.map((r) => [`${r.city}|${r.window_start}`, r]));
    for (const [key, m] of latest) {
      expect(fromDruid.get(key), key).toMatchObject({ revision: m.revision, rides_completed: m.rides_completed });
      expect(fromDruid.get(key)!.revenue, key).toBeCloseTo(m.revenue, 6);
    }
    expect(fromDruid.size).toBe(latest.size);
    await ok('druid', 'terminate', `${latePrefix}ride_metrics_1m`);
  }, 180_000);

  it("takes a consumer property from Druid's environment instead of the stored spec (--consumer-property-env)", async (ctx) => {
    skipWithoutDruid(ctx);
    // The spec's own bootstrap.servers leads nowhere: rows arrive only if Druid used the variable.
    await ok('druid', 'submit', '--spec', 'enriched_rides', '--topic-prefix', prefix, '--datasource-prefix', envPrefix,
      '--bootstrap-servers', '127.0.0.1:1', '--consumer-property-env', `bootstrap.servers=${BOOTSTRAP_ENV}`);
    const stored = (await new DruidClient(env['DRUID_URL']!).supervisorsFull()).find((s) => s.id === `${envPrefix}enriched_rides`);
    const props = (stored?.spec as { spec?: { ioConfig?: { consumerProperties?: Record<string, unknown> } } } | undefined)?.spec?.ioConfig?.consumerProperties;
    expect(props).toEqual({ 'bootstrap.servers': '127.0.0.1:1', 'druid.dynamic.config.provider': { type: 'environment', variables: { 'bootstrap.servers': BOOTSTRAP_ENV } } });
    const [expected] = await query<{ rides: number }>(`SELECT COUNT(*) AS rides FROM "${prefix}enriched_rides"`);
    await until('every ride in the datasource read through the environment', 120_000, async () => {
      const [row] = await query<{ rides: number }>(`SELECT COUNT(*) AS rides FROM "${envPrefix}enriched_rides"`);
      return row?.rides === expected!.rides ? row : undefined;
    });
    await ok('druid', 'terminate', `${envPrefix}enriched_rides`);
  }, 180_000);

  it('treats a second submit as an update, and status shows every supervisor running and caught up', async (ctx) => {
    skipWithoutDruid(ctx);
    const again = await ok('druid', 'submit', '--topic-prefix', prefix);
    expect(again.stdout.trim().split('\n')).toEqual([
      `✔ ${prefix}enriched_rides: updated, reading topic ${prefix}enriched_rides into datasource ${prefix}enriched_rides`,
      `✔ ${prefix}ride_metrics_1m: updated, reading topic ${prefix}ride_metrics_1m into datasource ${prefix}ride_metrics_1m`,
      `✔ ${prefix}ride_metrics_zone_1m: updated, reading topic ${prefix}ride_metrics_zone_1m into datasource ${prefix}ride_metrics_zone_1m`,
      `✔ ${prefix}ride_events: updated, reading topic ${prefix}ride_events into datasource ${prefix}ride_events`,
    ]);
    const all = await until('every supervisor reading', 90_000, async () => {
      const list = await ours();
      return list.length === 4 && list.every((s) => s.state === 'RUNNING' && s.healthy === true && s.tasks.reading === 1) ? list : undefined;
    });
    // Caught up, up to the transaction markers enrich's exactly-once writes leave in each
    // partition, which Druid counts as records behind.
    for (const s of all) expect(s.lag ?? 0, s.id).toBeLessThanOrEqual(10);
    const table = await ok('druid', 'status');
    expect(table.stdout).toMatch(new RegExp(`${prefix}enriched_rides\\s+${prefix}enriched_rides\\s+RUNNING\\s+yes`));
  }, 120_000);

  it('suspends and resumes a supervisor, and resets one', async (ctx) => {
    skipWithoutDruid(ctx);
    const id = `${prefix}enriched_rides`;
    expect((await ok('druid', 'suspend', id)).stdout).toContain(`✔ ${id}: suspended`);
    await until('SUSPENDED', 60_000, async () => ((await ours()).find((s) => s.id === id)?.state === 'SUSPENDED' ? true : undefined));
    // A submit now must not resume it behind the user's back.
    expect((await ok('druid', 'submit', '--spec', 'enriched_rides', '--topic-prefix', prefix)).stdout).toContain('still suspended');
    await sleep(5_000);
    expect((await ours()).find((s) => s.id === id)).toMatchObject({ state: 'SUSPENDED', suspended: true });

    expect((await ok('druid', 'resume', id)).stdout).toContain(`✔ ${id}: resumed`);
    await until('RUNNING again', 60_000, async () => ((await ours()).find((s) => s.id === id)?.state === 'RUNNING' ? true : undefined));

    const reset = await ok('druid', 'reset', `${prefix}ride_events`, '--json');
    expect(JSON.parse(reset.stdout)).toEqual([{ id: `${prefix}ride_events`, action: 'reset' }]);
  }, 180_000);

  it("says what is wrong in Druid's own words, on one line, with exit code 1", async (ctx) => {
    skipWithoutDruid(ctx);
    const unknown = await cli('druid', 'suspend', `${prefix}nope`);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(`error: Druid: Cannot find any supervisor with id: [${prefix}nope]`);

    const bad = await cli('druid', 'query', 'SELECT nope FROM nowhere');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^error: Druid: Object 'nowhere' not found/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);

    const overlord = await cli('druid', 'query', 'SELECT 1', '--druid-url', `http://127.0.0.1:${druid!.ports.coordinator}`);
    expect(overlord.code).toBe(1);
    expect(overlord.stderr).toMatch(/does not serve SQL: point DRUID_URL at a router or a broker/);

    const nobody = await cli('druid', 'status', '--druid-url', `http://127.0.0.1:${await findFreePort()}`);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/^error: cannot reach Druid at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)\nhint: start the local Druid/);
  }, 60_000);

  it('terminates the supervisors, and what they ingested stays queryable', async (ctx) => {
    skipWithoutDruid(ctx);
    const ids = (await ours()).map((s) => s.id);
    expect(ids).toHaveLength(4);
    await ok('druid', 'terminate', ...ids);
    expect(await ours()).toEqual([]);
    const [row] = await query<{ rides: number }>(`SELECT COUNT(*) AS rides FROM "${prefix}enriched_rides" WHERE status = 'completed'`);
    expect(row!.rides).toBe(CITIES.reduce((n, c) => n + manifest.cities[c]!.rides_completed, 0));
    // Gone means a later submit creates it afresh.
    const recreated = await ok('druid', 'submit', '--spec', 'ride_metrics_1m', '--topic-prefix', prefix, '--json');
    expect(JSON.parse(recreated.stdout)).toMatchObject([{ action: 'created' }]);
    await ok('druid', 'terminate', `${prefix}ride_metrics_1m`);
  }, 120_000);
});
