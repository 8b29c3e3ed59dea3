/**
 * `npm run bench:warehouse`: rows/s of `warehouse load --from FILE`, end to end, beside its
 * ceiling, and the ratio of the two (target ≥ 0.8).
 *
 * The ceiling is a plain COPY of exactly the rows the load stages: the same file's records,
 * parsed, validated, pseudonymised and formatted by the loader's own code before the clock
 * starts, with the same positions (the file's sha256 as stream), in the same batches, one
 * transaction each, into ridehail.raw_events of a freshly migrated database on the same server.
 * What the load does beyond that (reading the file and its sha256, parsing, validation,
 * pseudonymising, formatting, the offset bookkeeping, the set-based transforms into dimensions
 * and facts, the dim_driver rebuild) is what the ratio measures.
 *
 * Like with like: each measurement runs in a Node process of its own (as `ridehail warehouse
 * load` would; the generated world this process holds would otherwise slow every garbage
 * collection of the load), against its own freshly migrated database, after a CHECKPOINT, with
 * the other measurement's database already dropped, so neither pays for the other's dirty pages
 * or autovacuum. Besides wall time it reports CPU seconds of the whole Postgres server and of the
 * Node process: on a shared machine wall time moves with everyone else's work, CPU time much less.
 *
 * Env: RIDEHAIL_BENCH_DATABASE_URL (a server URL; a database per measurement is created on it),
 * else a private embedded Postgres is started for the run. RIDEHAIL_BENCH_RIDES (default 10000)
 * sizes the data: each ride brings ~6 ride events, an enriched ride, a rating and
 * RIDEHAIL_BENCH_PINGS (default 10) location pings. RIDEHAIL_BENCH_BATCH (default 5000) is the
 * batch size of both. RIDEHAIL_BENCH_ROUNDS (default 1) repeats both measurements, alternating
 * which goes first.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { copyBuffersInto } from '../src/warehouse/copy.js';
import { fileSha256, loadFile } from '../src/warehouse/load.js';
import { addToBatch, batchSize, emptyBatch, prepareFileLine, RAW_COPY_COLUMNS, stagedCopyChunks, type Batch } from '../src/warehouse/loader.js';
import { loadMigrations, migrate } from '../src/warehouse/migrations.js';
import { PgSession } from '../src/warehouse/session.js';
import { buildWorld, toJsonLines } from '../test/unit/warehouse/fixtures.js';
import { createTestDatabase, startPrivatePostgres, withClient, type PrivatePostgres } from '../test/helpers/postgres.js';

const rides = Number(process.env['RIDEHAIL_BENCH_RIDES'] ?? 10_000);
const pings = Number(process.env['RIDEHAIL_BENCH_PINGS'] ?? 10);
const rounds = Math.max(1, Number(process.env['RIDEHAIL_BENCH_ROUNDS'] ?? 1));
const BATCH = Number(process.env['RIDEHAIL_BENCH_BATCH'] ?? 5_000);
const SALT = 'bench';
const TICKS_PER_SECOND = 100;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const secs = (ms: number): string => (ms / 1000).toFixed(2);

/** What a measuring child reports. */
interface ChildResult {
  ms: number;
  rows: number;
  /** CPU seconds of the child (all its threads) while the clock ran. */
  nodeCpu: number;
}

/** The ceiling's input: what the load will stage, prepared by the loader's own code. */
async function stagedBatches(file: string): Promise<{ staged: Buffer[][]; rows: number }> {
  const sha256 = await fileSha256(file);
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
  const batches: Batch[] = [];
  let batch = emptyBatch('file', sha256, 0, 0);
  lines.forEach((line, i) => {
    const prepared = prepareFileLine(line, sha256, i, SALT);
    if (prepared.kind !== 'row') throw new Error(`line ${i + 1} would not be staged (${prepared.kind})`);
    addToBatch(batch, prepared);
    if (batchSize(batch) >= BATCH) {
      batches.push(batch);
      batch = emptyBatch('file', sha256, 0, i + 1);
    }
  });
  if (batchSize(batch) > 0) batches.push(batch);
  return { staged: batches.map((b, i) => [...stagedCopyChunks(b, i + 1)]), rows: lines.length };
}

/** In the child: the parent has sampled the server's CPU once `ready` is answered. */
async function ready(): Promise<void> {
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) if (line === 'go') return;
}

/**
 * The Node side of a load alone: the file read and staged as loadFile does it (sha256, lines,
 * prepareFileLine, batches, their COPY stream), with no database.
 */
async function prepareOnly(file: string): Promise<number> {
  const sha256 = await fileSha256(file);
  let batch = emptyBatch('file', sha256, 0, 0);
  let lineNumber = -1;
  let bytes = 0;
  const flush = (): void => {
    for (const chunk of stagedCopyChunks(batch, 1)) bytes += chunk.length;
  };
  for await (const line of createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity })) {
    lineNumber += 1;
    addToBatch(batch, prepareFileLine(line, sha256, lineNumber, SALT));
    if (batchSize(batch) >= BATCH) {
      flush();
      batch = emptyBatch('file', sha256, 0, lineNumber + 1);
    }
  }
  flush();
  return bytes;
}

/** In the child: runs one measurement, its clock started only when the parent says go. */
async function child(role: string, url: string, file: string): Promise<ChildResult> {
  if (role === 'prepare') {
    await ready();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await prepareOnly(file);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    return { ms, rows: 0, nodeCpu: (used.user + used.system) / 1e6 };
  }
  if (role === 'copy') {
    const { staged, rows } = await stagedBatches(file);
    const copyStatement = `COPY ridehail.raw_events (${RAW_COPY_COLUMNS.map((c) => (c === 'offset' ? '"offset"' : c)).join(', ')}) FROM STDIN`;
    return withClient(url, async (client: pg.Client) => {
      await client.query('SELECT 1');
      await ready();
      const cpu = process.cpuUsage();
      const started = performance.now();
      for (const chunk of staged) {
        await client.query('BEGIN');
        await copyBuffersInto(client, copyStatement, chunk);
        await client.query('COMMIT');
      }
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return { ms, rows, nodeCpu: (used.user + used.system) / 1e6 };
    });
  }
  const session = new PgSession(url);
  try {
    await ready();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const summary = await loadFile(session, file, { salt: SALT, batchSize: BATCH });
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    return { ms, rows: summary.rows, nodeCpu: (used.user + used.system) / 1e6 };
  } finally {
    await session.close();
  }
}

/**
 * CPU seconds the whole Postgres server has used so far: the postmaster, its live children
 * (backends, WAL writer, checkpointer, autovacuum) and, through the postmaster's cutime/cstime,
 * the children it has reaped. Linux only, and only for a server on this machine: undefined
 * otherwise.
 */
async function serverCpuSeconds(postmaster: number | undefined): Promise<number | undefined> {
  if (postmaster === undefined) return undefined;
  const fields = async (pid: string): Promise<string[] | undefined> => {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    } catch {
      return undefined;
    }
  };
  // After the command name: [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.
  const own = await fields(String(postmaster));
  if (!own) return undefined;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const f = await fields(pid);
    if (f && Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

async function postmasterPid(url: string): Promise<number | undefined> {
  return withClient(url, async (c) => {
    const backend = Number((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
    try {
      // Read while the backend still exists: it goes when this connection does.
      const stat = await readFile(`/proc/${backend}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return undefined;
    }
  });
}

interface Measured extends ChildResult {
  /** CPU seconds of the Postgres server while the child's clock ran. */
  pgCpu: number | undefined;
}

/** A fresh, migrated, checkpointed database; the measurement in a child process; the database dropped. */
async function measure(role: 'copy' | 'load' | 'prepare', server: string, postmaster: number | undefined, file: string): Promise<Measured> {
  const db = await createTestDatabase(server, `bench_${role}`);
  try {
    await withClient(db.url, async (c) => {
      await migrate(c, loadMigrations());
      // Needs superuser (or pg_checkpoint); where we have neither, measure without it.
      await c.query('CHECKPOINT').catch(() => undefined);
    });
    const script = fileURLToPath(import.meta.url);
    const proc = spawn(process.execPath, [script], {
      env: { ...process.env, RIDEHAIL_BENCH_ROLE: role, RIDEHAIL_BENCH_DB: db.url, RIDEHAIL_BENCH_FILE: file },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let pgBefore: Promise<number | undefined> = Promise.resolve(undefined);
    let result: ChildResult | undefined;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    for await (const line of createInterface({ input: proc.stdout })) {
      if (line === 'ready') {
        pgBefore = serverCpuSeconds(postmaster);
        await pgBefore;
        proc.stdin.end('go\n');
      }
      else if (line.startsWith('result ')) result = JSON.parse(line.slice('result '.length)) as ChildResult;
    }
    const code = await exited;
    if (code !== 0 || !result) throw new Error(`the ${role} measurement failed (exit ${String(code)})`);
    // The child's backends are counted once the postmaster has reaped them: a backend exiting
    // while /proc is read would be in neither its own entry nor the postmaster's cutime.
    await sleep(300);
    const [before, after] = await Promise.all([pgBefore, serverCpuSeconds(postmaster)]);
    return { ...result, pgCpu: before === undefined || after === undefined ? undefined : after - before };
  } finally {
    await db.drop();
  }
}

async function main(): Promise<void> {
  let privatePg: PrivatePostgres | undefined;
  const server = process.env['RIDEHAIL_BENCH_DATABASE_URL'] ?? (privatePg = await startPrivatePostgres()).url;
  const dir = await mkdtemp(join(tmpdir(), 'ridehail-bench-'));
  try {
    const file = join(dir, 'bench.jsonl');
    let records: number;
    let megabytes: number;
    {
      const world = buildWorld({ rides, pingsPerRide: pings });
      const text = toJsonLines(world.lines);
      await writeFile(file, text);
      records = world.lines.length;
      megabytes = text.length / 1e6;
    }
    const batches = Math.ceil(records / BATCH);
    console.log(`${fmt(records)} records (${megabytes.toFixed(1)} MB; ${rides} rides, ${pings} pings per ride), ${batches} batches of ${BATCH}`);
    console.log('ceiling: plain COPY of the same staged rows (prepared by the loader\'s code before the clock starts), same positions');
    console.log('         and batches, one transaction each, into raw_events of a fresh database on the same server; nothing else');

    const postmaster = await postmasterPid(server);
    const cpu = (m: Measured): string => `CPU: Postgres ${m.pgCpu === undefined ? 'n/a' : `${m.pgCpu.toFixed(2)} s`}, Node ${m.nodeCpu.toFixed(2)} s`;
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      let copy: Measured;
      let load: Measured;
      // Alternate the order: the machine's other load drifts, and a server warms up.
      if (round % 2 === 1) {
        copy = await measure('copy', server, postmaster, file);
        load = await measure('load', server, postmaster, file);
      } else {
        load = await measure('load', server, postmaster, file);
        copy = await measure('copy', server, postmaster, file);
      }
      if (copy.rows !== records || load.rows !== records) throw new Error(`staged ${copy.rows} / loaded ${load.rows} rows, expected ${records}`);
      const copyRate = (records / copy.ms) * 1000;
      const loadRate = (records / load.ms) * 1000;
      ratios.push(loadRate / copyRate);
      if (rounds > 1) console.log(`round ${round}:`);
      console.log(`ceiling, plain COPY        : ${fmt(copyRate)} rows/s (${secs(copy.ms)} s; ${cpu(copy)})`);
      console.log(`warehouse load, end to end : ${fmt(loadRate)} rows/s (${secs(load.ms)} s; ${cpu(load)})`);
      console.log('                             (read, sha256, parse, validate, pseudonymise, COPY, offsets, transforms, dim_driver)');
      console.log(`ratio load / ceiling       : ${(loadRate / copyRate).toFixed(2)} (target ≥ 0.80)`);
    }
    if (rounds > 1) {
      const sorted = [...ratios].sort((a, b) => a - b);
      console.log(`ratio over ${rounds} rounds      : median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)}, range ${sorted[0]!.toFixed(2)}–${sorted[sorted.length - 1]!.toFixed(2)}`);
    }
    const prepared = await measure('prepare', server, postmaster, file);
    console.log(`Node side of the load alone (read, sha256, parse, validate, pseudonymise, format; no database): ${secs(prepared.ms)} s, CPU ${prepared.nodeCpu.toFixed(2)} s`);
    // Other work on the machine moves every figure; say how busy it was.
    console.log(`load average (1 min) at the end: ${(loadavg()[0] ?? 0).toFixed(1)} on ${cpus().length} cores`);
  } finally {
    await privatePg?.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

const role = process.env['RIDEHAIL_BENCH_ROLE'];
if (role) {
  const result = await child(role, process.env['RIDEHAIL_BENCH_DB'] ?? '', process.env['RIDEHAIL_BENCH_FILE'] ?? '');
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
} else {
  await main();
}
