/**
 * A real Druid keeping its metadata in the real (test) Postgres, through our own extension
 * (local/druid/extensions/ridehail-postgresql-metadata): Kafka rows become queryable, Druid's
 * tables fill up in Postgres, and after a restart the supervisor, the segments and the Kafka
 * offsets are read back from there.
 */
import { randomBytes } from 'node:crypto';
import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureDruidDistribution, startDruid, stopDruid, type StartDruidOptions, type StartedDruid } from '../../src/local/druid.js';
import { createKafka } from '../../src/kafka/client.js';
import { findFreePort, findFreePortBase } from '../../src/local/free-port.js';
import { makeTempRoot, testCacheDir } from '../helpers/stack.js';
import { withClient } from '../helpers/postgres.js';
import { eventually } from '../helpers/eventually.js';

const brokers = inject('kafkaBrokers');
const databaseUrl = inject('databaseUrl');

const suffix = randomBytes(3).toString('hex');
// Own database and topic per run: the shared Postgres and broker outlive this file.
const metadataDatabase = `druid_test_${suffix}`;
const topic = `druid_pg_meta_${suffix}`;
const dataSource = `pg_meta_trips_${suffix}`;
const CITIES = ['Berlin', 'Lagos', 'Lima', 'Paris'] as const;

function log(msg: string): void {
  console.log(`[druid-pg] ${msg}`);
}

async function sql(routerUrl: string, query: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${routerUrl}/druid/v2/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Druid SQL ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Array<Record<string, unknown>>;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url} ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} ${res.status}: ${text.slice(0, 300)}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

async function countRows(routerUrl: string): Promise<number> {
  const rows = await sql(routerUrl, `SELECT COUNT(*) AS n FROM "${dataSource}"`);
  return Number(rows[0]?.['n']);
}

/** Resident memory of each process, in MB, e.g. `1460 MB (zookeeper 95, coordinator-overlord 270, ...)`. */
async function rss(pids: readonly number[]): Promise<string> {
  const names = ['zookeeper', 'coordinator-overlord', 'broker', 'historical', 'indexer', 'router'];
  const mb: number[] = [];
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    mb.push(Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024));
  }
  return `${mb.reduce((a, b) => a + b, 0)} MB (${mb.map((m, i) => `${names[i] ?? pids[i]} ${m}`).join(', ')})`;
}

function supervisorSpec(): unknown {
  return {
    type: 'kafka',
    spec: {
      dataSchema: {
        dataSource,
        timestampSpec: { column: 'ts', format: 'iso' },
        dimensionsSpec: { dimensions: ['ride_id', 'city', { type: 'long', name: 'passengers' }] },
        metricsSpec: [],
        granularitySpec: { type: 'uniform', segmentGranularity: 'hour', queryGranularity: 'none', rollup: false },
      },
      ioConfig: {
        type: 'kafka',
        topic,
        inputFormat: { type: 'json' },
        consumerProperties: { 'bootstrap.servers': brokers },
        useEarliestOffset: true,
        taskCount: 1,
        replicas: 1,
        // Short tasks, so segments are published (rows in druid_segments) within the test. Not
        // shorter: Druid 33 derives a period in whole minutes from it, and under a minute its
        // tasks die at once with IllegalArgumentException (scheduleWithFixedDelay of 0).
        taskDuration: 'PT1M',
        completionTimeout: 'PT5M',
      },
      tuningConfig: { type: 'kafka', maxRowsInMemory: 100_000 },
    },
  };
}

async function produce(producer: Producer, from: number, count: number): Promise<void> {
  const messages = Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const ts = new Date(Date.UTC(2026, 10, 24, 18, 0, 0) + i * 1000).toISOString();
    return { key: `r${i}`, value: JSON.stringify({ ts, ride_id: `r${i}`, city: CITIES[i % CITIES.length], passengers: 1 + (i % 3) }) };
  });
  await producer.send({ topic, messages });
}

describe.skipIf(databaseUrl === '' || brokers === '')('local Druid with its metadata in PostgreSQL', () => {
  let root = '';
  let options: StartDruidOptions | undefined;
  let druid: StartedDruid | undefined;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  const FIRST = 600;
  const SECOND = 200;

  beforeAll(async () => {
    const t0 = Date.now();
    const cacheDir = testCacheDir();
    // Cold (empty ~/.m2): about a minute for the jars plus the extension build; then offline.
    await ensureDruidDistribution(cacheDir, log);
    log(`distribution ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    root = await makeTempRoot('ridehail-druid-pg-');
    options = {
      cacheDir,
      dataDir: join(root, 'data'),
      logDir: join(root, 'logs'),
      zkPort: await findFreePort(),
      routerPort: await findFreePortBase([0, 1, 2, 3, 4, 5]),
      javaHome: process.env['JAVA_HOME'],
      metadata: { postgresUrl: databaseUrl, database: metadataDatabase },
      log,
    };
    const kafka = createKafka({ brokers: brokers.split(','), clientId: 'druid-metadata-postgres-test', ssl: false });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    producer = kafka.producer();
    await producer.connect();

    const t1 = Date.now();
    druid = await startDruid(options);
    log(`Druid with PostgreSQL metadata up in ${((Date.now() - t1) / 1000).toFixed(1)} s, RSS ${await rss(druid.pids)}`);
  }, 20 * 60_000);

  afterAll(async () => {
    if (druid !== undefined) await stopDruid(druid.pids, 30_000);
    await producer?.disconnect().catch(() => undefined);
    if (admin !== undefined) {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    if (databaseUrl !== '') {
      await withClient(databaseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(metadataDatabase)} WITH (FORCE)`)).catch(() => undefined);
    }
    if (root !== '' && process.env['RIDEHAIL_KEEP_TEST_STACKS'] !== '1') await rm(root, { recursive: true, force: true });
  }, 120_000);

  it('creates Druid\'s tables in its own Postgres database and does not use Derby', async () => {
    if (druid === undefined || options === undefined) throw new Error('no Druid');
    expect(druid.metadata.type).toBe('postgresql');
    const tables = await withClient(
      (druid.metadata as { url: string }).url,
      async (c) => (await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'")).rows.map((r) => r.t),
    );
    for (const t of ['druid_segments', 'druid_pendingsegments', 'druid_datasource', 'druid_supervisors', 'druid_tasks', 'druid_tasklocks', 'druid_rules', 'druid_config', 'druid_audit']) {
      expect(tables, t).toContain(t);
    }
    // Payloads are bytea, i.e. the connector's types were used, not the generic BLOB.
    const payload = await withClient((druid.metadata as { url: string }).url, async (c) =>
      (await c.query<{ data_type: string }>("SELECT data_type FROM information_schema.columns WHERE table_name = 'druid_segments' AND column_name = 'payload'")).rows[0]?.data_type,
    );
    expect(payload).toBe('bytea');
    await expect(access(join(options.dataDir, 'derby'))).rejects.toThrow();
    const conf = await readFile(join(options.dataDir, 'conf', '_common', 'common.runtime.properties'), 'utf8');
    expect(conf).toContain('druid.metadata.storage.type=postgresql');
    // The password travels in the environment, never in the rendered configuration.
    expect(conf).toMatch(/^druid\.metadata\.storage\.connector\.password=\{"type":"environment",/m);
  });

  it('ingests from Kafka, fills druid_supervisors/tasks/segments/datasource, and keeps all of it across a restart', async () => {
    if (druid === undefined || options === undefined || producer === undefined) throw new Error('no Druid');
    const metadataUrl = (druid.metadata as { url: string }).url;
    await produce(producer, 0, FIRST);

    const tPost = Date.now();
    expect(await postJson(`${druid.routerUrl}/druid/indexer/v1/supervisor`, supervisorSpec())).toEqual({ id: dataSource });
    await eventually('first rows queryable', 180_000, async () => ((await countRows(druid!.routerUrl)) === FIRST ? true : undefined));
    log(`${FIRST} rows queryable ${((Date.now() - tPost) / 1000).toFixed(1)} s after the supervisor POST`);

    // A coordinator dynamic config goes through the connector's insertOrUpdate/compareAndSwap.
    await postJson(`${druid.routerUrl}/druid/coordinator/v1/config`, { maxSegmentsToMove: 7 });

    // Hand-off: the one-minute task publishes its segments, which land in druid_segments.
    const published = await eventually('segments published to druid_segments', 240_000, async () => {
      const n = await withClient(metadataUrl, async (c) =>
        Number((await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM druid_segments WHERE datasource = $1 AND used', [dataSource])).rows[0]?.n),
      );
      return n > 0 ? n : undefined;
    });
    log(`${published} segment(s) in druid_segments ${((Date.now() - tPost) / 1000).toFixed(1)} s after the POST`);

    const counts = await withClient(metadataUrl, async (c) => {
      const one = async (q: string): Promise<number> => Number((await c.query<{ n: string }>(q, [dataSource])).rows[0]?.n);
      return {
        supervisors: await one('SELECT COUNT(*) AS n FROM druid_supervisors WHERE spec_id = $1'),
        tasks: await one('SELECT COUNT(*) AS n FROM druid_tasks WHERE datasource = $1'),
        commitMetadata: await one('SELECT COUNT(*) AS n FROM druid_datasource WHERE datasource = $1'),
        config: Number((await c.query<{ n: string }>("SELECT COUNT(*) AS n FROM druid_config WHERE name = 'coordinator.config'")).rows[0]?.n),
        audit: Number((await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM druid_audit')).rows[0]?.n),
      };
    });
    log(`metadata rows: ${JSON.stringify(counts)}`);
    expect(counts.supervisors).toBeGreaterThanOrEqual(1);
    expect(counts.tasks).toBeGreaterThanOrEqual(1);
    expect(counts.commitMetadata).toBe(1);
    expect(counts.config).toBe(1);
    expect(counts.audit).toBeGreaterThanOrEqual(1);

    // Restart every Druid process on the same data dir and the same metadata database.
    const tStop = Date.now();
    await stopDruid(druid.pids, 30_000);
    log(`stopped in ${((Date.now() - tStop) / 1000).toFixed(1)} s`);
    druid = undefined;
    const tStart = Date.now();
    druid = await startDruid(options);
    log(`restarted in ${((Date.now() - tStart) / 1000).toFixed(1)} s, RSS ${await rss(druid.pids)}`);
    const routerUrl = druid.routerUrl;

    expect(await getJson(`${routerUrl}/druid/indexer/v1/supervisor`)).toContain(dataSource);
    const config = (await getJson(`${routerUrl}/druid/coordinator/v1/config`)) as { maxSegmentsToMove?: number };
    expect(config.maxSegmentsToMove).toBe(7);
    await eventually('rows queryable again after the restart', 180_000, async () => ((await countRows(routerUrl)) === FIRST ? true : undefined));
    const segments = await sql(routerUrl, `SELECT COUNT(*) AS n FROM sys.segments WHERE datasource = '${dataSource}' AND is_published = 1`);
    expect(Number(segments[0]?.['n'])).toBeGreaterThanOrEqual(1);

    // The supervisor resumes from the offsets committed in druid_datasource: no row twice, none lost.
    await produce(producer, FIRST, SECOND);
    // Read twice in a row, not once: the restart can land while the first task hands its segment
    // off, and for a moment the broker may know neither copy of it (CI once read 800 rows by
    // COUNT(*) and then 200 by city). A duplicate or a lost row never settles, so this still fails.
    const expected = CITIES.map((city) => ({ city, n: (FIRST + SECOND) / CITIES.length }));
    let settled = 0;
    let last: unknown;
    await eventually('every row once, by city, in two reads in a row', 180_000, async () => {
      last = await sql(routerUrl, `SELECT city, COUNT(*) AS n FROM "${dataSource}" GROUP BY 1 ORDER BY 1`);
      settled = JSON.stringify(last) === JSON.stringify(expected) ? settled + 1 : 0;
      return settled >= 2 ? true : undefined;
    }).catch(async (error: unknown) => {
      const segments = await sql(routerUrl, `SELECT segment_id, num_rows, is_published, is_available, is_realtime FROM sys.segments WHERE datasource = '${dataSource}'`).catch(() => 'unreadable');
      throw new Error(`${(error as Error).message}; last read ${JSON.stringify(last)}; segments ${JSON.stringify(segments)}`);
    });
    const state = (await getJson(`${routerUrl}/druid/indexer/v1/supervisor/${dataSource}/status`)) as { payload?: { state?: string } };
    expect(state.payload?.state).toBe('RUNNING');
  }, 15 * 60_000);
});
