import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  busyDruidPorts,
  DRUID_STACK_PROCESSES,
  DRUID_ZOOKEEPER,
  DRUID_ZOOKEEPER_OFFSET,
  druidLogFile,
  druidMarker,
  druidPortOf,
  druidProcessHealthy,
  druidRouterUrl,
  isDruidProcess,
  startStackDruid,
  type StackDruidState,
} from './druid-stack.js';
import { LocalStackError } from './errors.js';
import { isPortFree } from './free-port.js';
import { findJava } from './java.js';
import { ensureKafkaDist, type KafkaDist } from './kafka-dist.js';
import { acceptsConnections, describeKafka, waitForKafka } from './kafka-health.js';
import {
  kafkaFormatArgs,
  kafkaServerArgs,
  planKafkaTopology,
  serverProperties,
  validateCounts,
  type KafkaNodePlan,
  type KafkaTopology,
} from './kafka-topology.js';
import { stackPaths, type StackPaths } from './paths.js';
import { initPostgres, postgresBinaries, postgresHealthy, postgresRunAs, postgresUrl, startPostgres, waitForPostgres } from './postgres.js';
import { inspectPidFile, isOurProcess, removePidFile, spawnDetached, stopProcess, tailFile, type StopResult } from './process.js';

const execFileAsync = promisify(execFile);

export const POSTGRES_PROCESS = 'postgres';

export type ProcessRole = 'broker' | 'controller' | 'broker+controller' | 'postgres' | 'druid' | 'zookeeper';
/** healthy: answers (Kafka metadata lists the broker / controller port accepts / Postgres runs a query). */
export type Health = 'healthy' | 'unhealthy' | 'stopped';

export interface ProcessStatus {
  readonly name: string;
  readonly role: ProcessRole;
  /** null when not running (including a stale pid file, see `note`). */
  readonly pid: number | null;
  /** Client port (broker, Postgres) or quorum port (controller). */
  readonly port: number;
  /** The quorum port of a combined broker+controller. */
  readonly controllerPort?: number;
  readonly health: Health;
  readonly logFile: string;
  readonly note?: string;
}

export interface Connection {
  readonly KAFKA_BROKERS: string;
  readonly DATABASE_URL?: string;
  /** The local Druid's router, when it runs. */
  readonly DRUID_URL?: string;
}

export interface UpProcess extends ProcessStatus {
  readonly action: 'started' | 'already-running';
}

export interface UpResult {
  readonly stackDir: string;
  /** Every process was already running; `up` changed nothing. */
  readonly alreadyRunning: boolean;
  readonly processes: readonly UpProcess[];
  readonly connection: Connection;
  readonly warnings: readonly string[];
}

export interface StatusResult {
  readonly stackDir: string;
  /** `up` has been run here (and not purged). */
  readonly exists: boolean;
  /** Every process of the stack is running (Druid counts once it has been started: it is optional). */
  readonly running: boolean;
  readonly controllers: number | null;
  readonly brokers: number | null;
  readonly processes: readonly ProcessStatus[];
  /** Present when at least one broker is running. */
  readonly connection?: Connection;
}

export interface DownResult {
  readonly stackDir: string;
  readonly processes: readonly { readonly name: string; readonly pid: number; readonly result: StopResult | 'stale-pid-file' }[];
  readonly purged: boolean;
}

type Log = (msg: string) => void;

export interface UpOptions {
  /** The stack directory (`<project>/.ridehail`). */
  readonly stackDir: string;
  /** Shared download cache (Kafka jars). */
  readonly cacheDir: string;
  /** See kafka-topology.ts for the port scheme. Ignored while the stack runs on another base. */
  readonly kafkaPortBase: number;
  readonly postgresPort: number;
  /** Defaults: what the existing stack has, else 1 and 1 (one combined process). */
  readonly controllers?: number | undefined;
  readonly brokers?: number | undefined;
  /** false: no embedded Postgres. */
  readonly postgres?: boolean | undefined;
  /** An external database: no embedded Postgres, and this is the DATABASE_URL reported. */
  readonly databaseUrl?: string | undefined;
  readonly javaHome?: string | undefined;
  readonly kafkaHome?: string | undefined;
  /** To find `java` and `mvn`. */
  readonly pathEnv?: string | undefined;
  readonly heapMb?: Partial<Record<'broker' | 'controller' | 'combined', number>> | undefined;
  /** Extra server.properties for every Kafka node (tests shorten timeouts with this). */
  readonly kafkaProperties?: Readonly<Record<string, string>> | undefined;
  /** For Kafka and Postgres each to become ready (default 120 s). */
  readonly timeoutMs?: number | undefined;
  /**
   * Also run the local Druid (src/local/druid-stack.ts), its router on `routerPort` and ZooKeeper
   * on `zkPort` (default router + 10). Without it a running Druid is left as it is.
   */
  readonly druid?: { readonly routerPort: number; readonly zkPort?: number | undefined } | undefined;
  /** For every Druid service to report healthy (default 240 s). */
  readonly druidTimeoutMs?: number | undefined;
  readonly log?: Log | undefined;
}

export interface DownOptions {
  readonly stackDir: string;
  /** Also delete data/ and stack.json (logs are kept). */
  readonly purge?: boolean | undefined;
  /** Per process, before SIGKILL (default 30 s). */
  readonly timeoutMs?: number | undefined;
  readonly log?: Log | undefined;
}

export interface StatusOptions {
  readonly stackDir: string;
  /** An external database to report as DATABASE_URL when the stack has no embedded Postgres. */
  readonly databaseUrl?: string | undefined;
}

/** What `up` created, so later commands act on the same stack whatever the config says now. */
interface StackState {
  readonly version: 1;
  readonly clusterId: string;
  readonly controllers: number;
  readonly brokers: number;
  readonly kafkaPortBase: number;
  readonly heapMb?: Partial<Record<'broker' | 'controller' | 'combined', number>>;
  readonly kafkaProperties?: Record<string, string>;
  readonly postgres: { readonly port: number } | null;
  /** Absent until `up --druid`; kept by later `up`s without it, so ports and metadata store stay. */
  readonly druid?: StackDruidState | null;
}

async function readState(paths: StackPaths): Promise<StackState | undefined> {
  const text = await readFile(paths.stateFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const state = JSON.parse(text) as StackState;
    return state.version === 1 ? state : undefined;
  } catch {
    return undefined;
  }
}

async function writeState(paths: StackPaths, state: StackState): Promise<void> {
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, paths.stateFile);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function pidFileOf(paths: StackPaths, name: string): string {
  return join(paths.pids, `${name}.pid`);
}

/**
 * The string that must appear in a process's command line for its pid to count as ours: the
 * node's config file (Kafka) or data directory (Postgres). Derived from the name alone so `down`
 * can verify whatever pid files it finds, even if stack.json is gone.
 */
function markerOf(paths: StackPaths, name: string): string {
  if (isDruidProcess(name)) return druidMarker(druidDataDir(paths), name);
  return name === POSTGRES_PROCESS ? paths.postgresData : join(paths.kafkaData, name, 'server.properties');
}

function druidDataDir(paths: StackPaths): string {
  return join(paths.data, 'druid');
}

function roleOf(node: KafkaNodePlan): ProcessRole {
  return node.roles.length === 2 ? 'broker+controller' : (node.roles[0] ?? 'broker');
}

function kafkaLogFile(paths: StackPaths, name: string): string {
  return join(paths.logs, `${name}.log`);
}

function topologyOf(paths: StackPaths, state: Pick<StackState, 'controllers' | 'brokers' | 'kafkaPortBase' | 'heapMb' | 'kafkaProperties'>): KafkaTopology {
  return planKafkaTopology({
    controllers: state.controllers,
    brokers: state.brokers,
    portBase: state.kafkaPortBase,
    dataDir: paths.kafkaData,
    heapMb: state.heapMb,
    extraProperties: state.kafkaProperties,
  });
}

/**
 * Kafka's cluster ids are base64url UUIDs. One that starts with '-' reads as a flag to
 * kafka-storage's argument parser (1 start in 64 failed so), which is why Kafka's own
 * Uuid.randomUuid() never hands one out; neither do we.
 */
export function newClusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function clusterIdOnDisk(topology: KafkaTopology): Promise<string | undefined> {
  for (const node of topology.nodes) {
    const text = await readFile(join(node.logDir, 'meta.properties'), 'utf8').catch(() => undefined);
    const id = text === undefined ? undefined : /^cluster\.id=(.+)$/m.exec(text)?.[1]?.trim();
    if (id !== undefined) return id;
  }
  return undefined;
}

async function hasKafkaData(paths: StackPaths): Promise<boolean> {
  const names = await readdir(paths.kafkaData).catch(() => [] as string[]);
  for (const name of names) if (await exists(join(paths.kafkaData, name, 'log', 'meta.properties'))) return true;
  return false;
}

/**
 * Serialises `up`/`down` on one stack directory: two at once would both see a process missing
 * and both start it. A lock left by a dead process is taken over.
 */
async function withLock<T>(paths: StackPaths, fn: () => Promise<T>): Promise<T> {
  const lockFile = join(paths.root, 'stack.lock');
  await mkdir(paths.root, { recursive: true });
  const busy = (holder: string): LocalStackError =>
    new LocalStackError(
      `Another \`ridehail local\` command (pid ${holder}) is working on ${paths.root}; wait for it to finish ` +
        `(or delete ${lockFile} if no such process runs).`,
    );
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = (await readFile(lockFile, 'utf8').catch(() => '')).trim();
      const holder = Number(text);
      let alive = false;
      if (Number.isInteger(holder) && holder > 0) {
        try {
          process.kill(holder, 0);
          alive = true;
        } catch {
          alive = false;
        }
      }
      if (alive || attempt > 0) throw busy(text || '?');
      await rm(lockFile, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}

async function describeDeath(name: string, files: string[]): Promise<string> {
  for (const file of files) {
    const tail = await tailFile(file, 300);
    if (tail === '') continue;
    // A dying JVM logs its whole shutdown after the one line that matters; lead with the errors.
    const lines = tail.split('\n');
    const errors = lines.filter((l) => /^\[[^\]]+\] (ERROR|FATAL)\b|^Caused by: |^[\w.$]+(Exception|Error)\b|\b(FATAL|PANIC):/.test(l));
    const shown = errors.length > 0 ? errors.slice(-8) : lines.slice(-20);
    return `${name} exited while starting. Last ${errors.length > 0 ? 'errors' : 'lines'} of ${file}:\n${shown.join('\n')}`;
  }
  return `${name} exited while starting (nothing in ${files.join(', ')}).`;
}

async function formatStorage(java: string, dist: KafkaDist, paths: StackPaths, clusterId: string, nodes: KafkaNodePlan[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      if (await exists(join(node.logDir, 'meta.properties'))) return;
      try {
        await execFileAsync(java, kafkaFormatArgs(node, clusterId, { classpath: dist.classpath, log4jConfig: dist.log4jConfig, logsDir: paths.logs }), {
          cwd: node.dir,
          timeout: 120_000,
        });
      } catch (err) {
        const e = err as Error & { stdout?: string; stderr?: string };
        // The exception line says what is wrong; the Java stack trace below it only adds noise.
        const detail = `${e.stderr ?? ''}${e.stdout ?? ''}`
          .split('\n')
          .filter((l) => l.trim() !== '' && !/^\s+at /.test(l))
          .slice(-10)
          .join('\n');
        throw new LocalStackError(`Formatting the storage of ${node.name} failed: ${detail || e.message}`);
      }
    }),
  );
}

/**
 * Starts whatever part of the local stack is not running (Kafka per the topology, embedded
 * Postgres unless disabled or external), waits until it answers, and reports every process and
 * the connection strings. Idempotent; stale pid files are detected and replaced.
 */
export async function up(opts: UpOptions): Promise<UpResult> {
  const paths = stackPaths(opts.stackDir);
  const log: Log = opts.log ?? (() => undefined);
  await Promise.all([paths.data, paths.logs, paths.pids, paths.kafkaData].map((d) => mkdir(d, { recursive: true })));

  return withLock(paths, async () => {
    const prior = await readState(paths);
    const controllers = opts.controllers ?? prior?.controllers ?? 1;
    const brokers = opts.brokers ?? prior?.brokers ?? 1;
    const problem = validateCounts(controllers, brokers);
    if (problem !== undefined) throw new LocalStackError(problem);
    const warnings: string[] = [];

    // What runs now, per pid file, whatever the requested layout.
    const pidNames = (await readdir(paths.pids).catch(() => [] as string[])).filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -4));
    const running = new Map<string, number>();
    for (const name of pidNames) {
      const s = await inspectPidFile(pidFileOf(paths, name), markerOf(paths, name));
      if (s.state === 'running') running.set(name, s.pid);
      else if (s.state === 'stale') {
        log(`Ignoring stale pid file for ${name} (pid ${s.pid} is not our process)`);
        await removePidFile(pidFileOf(paths, name));
      }
    }
    const kafkaRunning = [...running.keys()].some((n) => n !== POSTGRES_PROCESS && !isDruidProcess(n));

    if (prior !== undefined && (prior.controllers !== controllers || prior.brokers !== brokers)) {
      const was = `${prior.controllers} controller(s) and ${prior.brokers} broker(s)`;
      if (kafkaRunning) {
        throw new LocalStackError(`The local stack in ${paths.root} runs with ${was}. Run \`ridehail local down\` first to change its layout.`);
      }
      if (await hasKafkaData(paths)) {
        throw new LocalStackError(
          `The local stack in ${paths.root} holds the data of a Kafka cluster with ${was}. ` +
            `Start it with the same counts, or discard its data with \`ridehail local down --purge\` first.`,
        );
      }
    }

    const portBase = kafkaRunning && prior !== undefined ? prior.kafkaPortBase : opts.kafkaPortBase;
    if (portBase !== opts.kafkaPortBase) {
      warnings.push(`Kafka is already running on port base ${portBase}; port base ${opts.kafkaPortBase} applies after \`ridehail local down\`.`);
    }
    const layout = { controllers, brokers, kafkaPortBase: portBase, heapMb: opts.heapMb ?? prior?.heapMb, kafkaProperties: opts.kafkaProperties ?? prior?.kafkaProperties };
    const topology = topologyOf(paths, layout);
    warnings.push(...topology.warnings);

    const embeddedPostgres = opts.databaseUrl === undefined && opts.postgres !== false;
    const pgRunningPid = running.get(POSTGRES_PROCESS);
    const pgPort = pgRunningPid !== undefined && prior?.postgres ? prior.postgres.port : opts.postgresPort;
    if (opts.databaseUrl !== undefined && pgRunningPid !== undefined) {
      warnings.push(`An embedded Postgres from an earlier \`up\` still runs (pid ${pgRunningPid}); DATABASE_URL points elsewhere, so it is unused.`);
    }

    const toStart = topology.nodes.filter((n) => !running.has(n.name));
    const startPg = embeddedPostgres && pgRunningPid === undefined;

    // Druid is started whole or not at all: its services find each other through its ZooKeeper,
    // so a leftover half (one crashed) is stopped and everything starts afresh.
    const druidRunning = DRUID_STACK_PROCESSES.filter((p) => running.has(p.name));
    let druid: StackDruidState | null = prior?.druid ?? null;
    if (opts.druid !== undefined) {
      const keep = druidRunning.length === DRUID_STACK_PROCESSES.length && prior?.druid ? prior.druid : undefined;
      if (keep !== undefined && keep.routerPort !== opts.druid.routerPort) {
        warnings.push(`Druid is already running with its router on ${keep.routerPort}; port ${opts.druid.routerPort} applies after \`ridehail local down\`.`);
      }
      druid = keep ?? {
        routerPort: opts.druid.routerPort,
        zkPort: opts.druid.zkPort ?? opts.druid.routerPort + DRUID_ZOOKEEPER_OFFSET,
        metadata: prior?.druid?.metadata ?? (embeddedPostgres ? 'postgresql' : 'derby'),
      };
    }
    const startDruidNow = opts.druid !== undefined && druidRunning.length < DRUID_STACK_PROCESSES.length;
    if (startDruidNow && druidRunning.length > 0) {
      log(`Druid is only partly running (${druidRunning.map((p) => p.name).join(', ')}); restarting it whole…`);
      for (const p of [...druidRunning].reverse()) {
        await stopProcess(running.get(p.name)!, markerOf(paths, p.name), { timeoutMs: 30_000 });
        await removePidFile(pidFileOf(paths, p.name));
        running.delete(p.name);
      }
    }

    // A taken port would otherwise show up as a process that dies with a bind error deep in its log.
    const wanted: [string, number][] = [];
    for (const n of toStart) {
      if (n.brokerPort !== undefined) wanted.push([n.name, n.brokerPort]);
      if (n.controllerPort !== undefined) wanted.push([n.name, n.controllerPort]);
    }
    if (startPg) wanted.push([POSTGRES_PROCESS, pgPort]);
    if (startDruidNow && druid !== null) {
      for (const [name, port] of await busyDruidPorts(druid, DRUID_STACK_PROCESSES.map((p) => p.name))) {
        throw new LocalStackError(
          `Port ${port} (for ${name}) is already in use by another program. Stop it, or give the local Druid other ports ` +
            `(its router port comes from DRUID_URL; the other services use the next five, ZooKeeper router+${DRUID_ZOOKEEPER_OFFSET}).`,
        );
      }
    }
    for (const [name, port] of wanted) {
      if (!(await isPortFree(port))) {
        throw new LocalStackError(
          `Port ${port} (for ${name}) is already in use by another program. Stop it, or choose other ports ` +
            `(Kafka uses base+0… for brokers and base+100… for controllers; see \`ridehail config\`).`,
        );
      }
    }

    const started = new Map<string, { pid: number; files: string[]; marker: string }>();
    const stopStarted = async (): Promise<void> => {
      await Promise.all(
        [...started.entries()].map(async ([name, p]) => {
          await stopProcess(p.pid, p.marker, { timeoutMs: 10_000, signal: name === POSTGRES_PROCESS ? 'SIGINT' : 'SIGTERM' });
          await removePidFile(pidFileOf(paths, name));
        }),
      );
    };

    try {
      let clusterId = prior?.clusterId ?? newClusterId();
      if (toStart.length > 0) {
        const [java, dist] = await Promise.all([
          findJava({ javaHome: opts.javaHome, pathEnv: opts.pathEnv }),
          ensureKafkaDist({ kafkaHome: opts.kafkaHome, cacheDir: opts.cacheDir, pathEnv: opts.pathEnv, log }),
        ]);
        // Keep the id the data was formatted with, even if stack.json was lost.
        clusterId = (await clusterIdOnDisk(topology)) ?? clusterId;
        for (const node of toStart) {
          await mkdir(node.logDir, { recursive: true });
          await writeFile(node.configFile, serverProperties(topology, node));
        }
        log(`Preparing Kafka storage (${toStart.map((n) => n.name).join(', ')})…`);
        await formatStorage(java.path, dist, paths, clusterId, toStart);
        for (const node of toStart) {
          const outFile = join(paths.logs, `${node.name}.out`);
          log(`Starting ${node.name}…`);
          const pid = await spawnDetached({
            command: java.path,
            args: kafkaServerArgs(node, { classpath: dist.classpath, log4jConfig: dist.log4jConfig, logsDir: paths.logs }),
            cwd: node.dir,
            env: process.env,
            outFile,
            // Only what the JVM prints before logging is up: keep it about this start.
            truncate: true,
            pidFile: pidFileOf(paths, node.name),
          });
          started.set(node.name, { pid, files: [outFile, kafkaLogFile(paths, node.name)], marker: markerOf(paths, node.name) });
        }
      }

      if (startPg) {
        const bins = await postgresBinaries();
        const runAs = await postgresRunAs(log);
        const pgOpts = { dataDir: paths.postgresData, port: pgPort, logFile: join(paths.logs, 'postgres.log'), pidFile: pidFileOf(paths, POSTGRES_PROCESS), log, bins, runAs };
        await initPostgres(pgOpts);
        log('Starting postgres…');
        const pid = await startPostgres(pgOpts);
        started.set(POSTGRES_PROCESS, { pid, files: [pgOpts.logFile], marker: markerOf(paths, POSTGRES_PROCESS) });
      }

      // Written before waiting, so `down` and `status` know the stack even if the wait fails.
      const pgState = embeddedPostgres || pgRunningPid !== undefined ? { port: pgPort } : null;
      await writeState(paths, { version: 1, clusterId, ...layout, postgres: pgState, ...(druid !== null ? { druid } : {}) });

      const check = async (): Promise<void> => {
        for (const [name, p] of started) {
          if (!isOurProcess(p.pid, p.marker)) throw new LocalStackError(await describeDeath(name, p.files));
        }
      };
      const timeoutMs = opts.timeoutMs ?? 120_000;
      log('Waiting for Kafka and Postgres to answer…');
      await Promise.all([
        waitForKafka({ bootstrapServers: topology.bootstrapServers, expectedBrokers: topology.brokers, timeoutMs, check }).catch((err: Error) => {
          throw err instanceof LocalStackError ? err : new LocalStackError(`${err.message}. See the logs in ${paths.logs}.`);
        }),
        embeddedPostgres ? waitForPostgres(pgPort, { timeoutMs, check }) : Promise.resolve(),
      ]);

      // After Postgres answers: Druid's metadata lives there.
      if (startDruidNow && druid !== null) {
        log(`Starting Druid (six JVMs, about half a minute)…`);
        const pgUp = embeddedPostgres && (startPg || pgRunningPid !== undefined);
        const pids = await startStackDruid({
          state: druid,
          cacheDir: opts.cacheDir,
          druidDataDir: druidDataDir(paths),
          logsDir: paths.logs,
          pidFileOf: (name) => pidFileOf(paths, name),
          postgresUrl: pgUp ? postgresUrl(pgPort) : undefined,
          javaHome: opts.javaHome,
          timeoutMs: opts.druidTimeoutMs,
          log,
        });
        for (const proc of DRUID_STACK_PROCESSES) {
          const pid = pids.get(proc.name);
          if (pid !== undefined) started.set(proc.name, { pid, files: [druidLogFile(paths.logs, proc)], marker: markerOf(paths, proc.name) });
        }
      }
    } catch (err) {
      // Leave no half-started stack behind; what ran before this `up` is left alone.
      await stopStarted().catch(() => undefined);
      throw err;
    }

    const processes: UpProcess[] = topology.nodes.map((node) => ({
      name: node.name,
      role: roleOf(node),
      pid: started.get(node.name)?.pid ?? running.get(node.name) ?? null,
      port: node.brokerPort ?? node.controllerPort ?? 0,
      ...(node.brokerPort !== undefined && node.controllerPort !== undefined ? { controllerPort: node.controllerPort } : {}),
      health: 'healthy',
      logFile: kafkaLogFile(paths, node.name),
      action: started.has(node.name) ? 'started' : 'already-running',
    }));
    const pgPid = started.get(POSTGRES_PROCESS)?.pid ?? pgRunningPid;
    if (pgPid !== undefined) {
      const healthy = embeddedPostgres || (await postgresHealthy(postgresUrl(pgPort)));
      processes.push({
        name: POSTGRES_PROCESS,
        role: 'postgres',
        pid: pgPid,
        port: pgPort,
        health: healthy ? 'healthy' : 'unhealthy',
        logFile: join(paths.logs, 'postgres.log'),
        action: started.has(POSTGRES_PROCESS) ? 'started' : 'already-running',
      });
    }
    let druidUp = false;
    if (druid !== null) {
      const state = druid;
      const druidProcesses = await Promise.all(
        DRUID_STACK_PROCESSES.map(async (proc): Promise<UpProcess | undefined> => {
          const pid = started.get(proc.name)?.pid ?? running.get(proc.name);
          if (pid === undefined) return undefined;
          const healthy = started.has(proc.name) || (await druidProcessHealthy(state, proc));
          return {
            name: proc.name,
            role: proc.port === 'zookeeper' ? 'zookeeper' : 'druid',
            pid,
            port: druidPortOf(state, proc),
            health: healthy ? 'healthy' : 'unhealthy',
            logFile: druidLogFile(paths.logs, proc),
            action: started.has(proc.name) ? 'started' : 'already-running',
          };
        }),
      );
      for (const p of druidProcesses) if (p !== undefined) processes.push(p);
      druidUp = druidProcesses.every((p) => p !== undefined);
    }
    const databaseUrl = opts.databaseUrl ?? (embeddedPostgres ? postgresUrl(pgPort) : undefined);
    return {
      stackDir: paths.root,
      alreadyRunning: started.size === 0,
      processes,
      connection: {
        KAFKA_BROKERS: topology.bootstrapServers,
        ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
        ...(druidUp && druid !== null ? { DRUID_URL: druidRouterUrl(druid) } : {}),
      },
      warnings,
    };
  });
}

/**
 * Stops exactly the processes named by the pid files in `<stack>/pids` (each verified to still be
 * ours), brokers before controllers so brokers can shut down in an orderly way.
 */
export async function down(opts: DownOptions): Promise<DownResult> {
  const paths = stackPaths(opts.stackDir);
  const log: Log = opts.log ?? (() => undefined);
  if (!(await exists(paths.root))) return { stackDir: paths.root, processes: [], purged: false };

  return withLock(paths, async () => {
    const names = (await readdir(paths.pids).catch(() => [] as string[])).filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -4));
    const results: { name: string; pid: number; result: StopResult | 'stale-pid-file' }[] = [];
    const stop = async (name: string): Promise<void> => {
      const pidFile = pidFileOf(paths, name);
      const marker = markerOf(paths, name);
      const s = await inspectPidFile(pidFile, marker);
      if (s.state === 'running') {
        log(`Stopping ${name} (pid ${s.pid})…`);
        const result = await stopProcess(s.pid, marker, { signal: name === POSTGRES_PROCESS ? 'SIGINT' : 'SIGTERM', timeoutMs: opts.timeoutMs ?? 30_000 });
        results.push({ name, pid: s.pid, result });
      } else if (s.state === 'stale') {
        results.push({ name, pid: s.pid, result: 'stale-pid-file' });
      }
      await removePidFile(pidFile);
    };
    // Druid first, while the Kafka its tasks read and the Postgres holding its metadata still
    // answer, and its ZooKeeper last of Druid (the services deregister there). Then brokers
    // before controllers: their controlled shutdown needs the controllers.
    const isController = (n: string): boolean => n.startsWith('controller-');
    await Promise.all(names.filter((n) => isDruidProcess(n) && n !== DRUID_ZOOKEEPER).map(stop));
    await Promise.all(names.filter((n) => n === DRUID_ZOOKEEPER).map(stop));
    await Promise.all(names.filter((n) => !isController(n) && !isDruidProcess(n)).map(stop));
    await Promise.all(names.filter(isController).map(stop));

    const order = (n: string): number => (isDruidProcess(n) ? -1 : n === POSTGRES_PROCESS ? 2 : isController(n) ? 1 : 0);
    results.sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name, 'en', { numeric: true }));

    let purged = false;
    if (opts.purge === true) {
      log(`Deleting ${paths.data}…`);
      await rm(paths.data, { recursive: true, force: true });
      await rm(paths.stateFile, { force: true });
      purged = true;
    }
    return { stackDir: paths.root, processes: results, purged };
  });
}

/** Per process: running or not (stale pid files are reported, not trusted) and whether it answers. */
export async function status(opts: StatusOptions): Promise<StatusResult> {
  const paths = stackPaths(opts.stackDir);
  const state = await readState(paths);
  if (state === undefined) {
    return { stackDir: paths.root, exists: false, running: false, controllers: null, brokers: null, processes: [] };
  }
  const topology = topologyOf(paths, state);

  const pidStates = new Map(
    await Promise.all(
      [...topology.nodes.map((n) => n.name), ...(state.postgres ? [POSTGRES_PROCESS] : []), ...(state.druid ? DRUID_STACK_PROCESSES.map((p) => p.name) : [])].map(
        async (name) => [name, await inspectPidFile(pidFileOf(paths, name), markerOf(paths, name))] as const,
      ),
    ),
  );
  const anyBroker = topology.nodes.some((n) => n.brokerPort !== undefined && pidStates.get(n.name)?.state === 'running');
  const registered = anyBroker
    ? await describeKafka(topology.bootstrapServers, 3_000).then(
        (info) => new Set(info.brokers.map((b) => b.nodeId)),
        () => new Set<number>(),
      )
    : new Set<number>();

  const base = (name: string): { pid: number | null; note?: string } => {
    const s = pidStates.get(name);
    if (s?.state === 'running') return { pid: s.pid };
    if (s?.state === 'stale') return { pid: null, note: `stale pid file (pid ${s.pid} is not our process)` };
    return { pid: null };
  };

  const processes: ProcessStatus[] = await Promise.all(
    topology.nodes.map(async (node): Promise<ProcessStatus> => {
      const b = base(node.name);
      let health: Health = 'stopped';
      if (b.pid !== null) {
        const ok = node.brokerPort !== undefined ? registered.has(node.nodeId) : await acceptsConnections(node.controllerPort ?? 0);
        health = ok ? 'healthy' : 'unhealthy';
      }
      return {
        name: node.name,
        role: roleOf(node),
        ...b,
        port: node.brokerPort ?? node.controllerPort ?? 0,
        ...(node.brokerPort !== undefined && node.controllerPort !== undefined ? { controllerPort: node.controllerPort } : {}),
        health,
        logFile: kafkaLogFile(paths, node.name),
      };
    }),
  );
  if (state.postgres) {
    const b = base(POSTGRES_PROCESS);
    const health: Health = b.pid === null ? 'stopped' : (await postgresHealthy(postgresUrl(state.postgres.port))) ? 'healthy' : 'unhealthy';
    processes.push({ name: POSTGRES_PROCESS, role: 'postgres', ...b, port: state.postgres.port, health, logFile: join(paths.logs, 'postgres.log') });
  }

  const core = processes.length;
  let druidRunning = false;
  let druidStarted = false;
  if (state.druid) {
    const druid = state.druid;
    const druidProcesses = await Promise.all(
      DRUID_STACK_PROCESSES.map(async (proc): Promise<ProcessStatus> => {
        const b = base(proc.name);
        const health: Health = b.pid === null ? 'stopped' : (await druidProcessHealthy(druid, proc)) ? 'healthy' : 'unhealthy';
        return { name: proc.name, role: proc.port === 'zookeeper' ? 'zookeeper' : 'druid', ...b, port: druidPortOf(druid, proc), health, logFile: druidLogFile(paths.logs, proc) };
      }),
    );
    druidRunning = druidProcesses.every((p) => p.pid !== null);
    druidStarted = druidProcesses.some((p) => p.pid !== null);
    processes.push(...druidProcesses);
  }

  const pgRunning = state.postgres !== null && pidStates.get(POSTGRES_PROCESS)?.state === 'running';
  const databaseUrl = pgRunning && state.postgres ? postgresUrl(state.postgres.port) : opts.databaseUrl;
  return {
    stackDir: paths.root,
    exists: true,
    // Druid is optional: all of it stopped means not started (`up` without --druid), not broken.
    running: processes.slice(0, core).every((p) => p.pid !== null) && (!druidStarted || druidRunning),
    controllers: state.controllers,
    brokers: state.brokers,
    processes,
    ...(anyBroker
      ? {
          connection: {
            KAFKA_BROKERS: topology.bootstrapServers,
            ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
            ...(druidRunning && state.druid ? { DRUID_URL: druidRouterUrl(state.druid) } : {}),
          },
        }
      : {}),
  };
}
