import { join } from 'node:path';
import { DRUID_PORT_OFFSETS, DRUID_SERVICES, druidIsHealthy, ensureDruidDistribution, startDruid, zkIsOk, type DruidPorts } from './druid.js';
import { LocalStackError } from './errors.js';
import { isPortFree } from './free-port.js';
import { writePidFile } from './process.js';

/**
 * The local Druid as part of the local stack: six processes, each with a pid file like Kafka's
 * and Postgres's, so `local status` and `local down` treat them like the rest. Starting them is
 * src/local/druid.ts's job; this module only names, sizes, records and checks them.
 */

export const DRUID_ZOOKEEPER = 'druid-zookeeper';

export interface DruidStackProcess {
  /** Pid file and status name. */
  readonly name: string;
  /** Directory under the rendered conf/ (also what makes the command line ours). */
  readonly conf: string;
  readonly port: keyof DruidPorts | 'zookeeper';
}

/** In start order, as startDruid returns their pids: ZooKeeper, then the five services. */
export const DRUID_STACK_PROCESSES: readonly DruidStackProcess[] = [
  { name: DRUID_ZOOKEEPER, conf: 'zookeeper', port: 'zookeeper' },
  ...DRUID_SERVICES.map((s): DruidStackProcess => ({ name: `druid-${s.conf}`, conf: s.conf, port: s.port })),
];

/** ZooKeeper sits this far above the router, clear of the services at router+1 … router+5. */
export const DRUID_ZOOKEEPER_OFFSET = 10;

/**
 * Task slots of the local Indexer. Druid's default profile has 2, but the four supervisors of
 * `ridehail druid submit` each need one to read and, for a while each hour, a second one to hand
 * off: with 2, two datasources would sit behind their topics while Druid reports RUNNING. Tasks
 * run as threads of the Indexer, so a slot costs little more than a Kafka consumer.
 */
export const DRUID_TASK_SLOTS = 8;

export interface StackDruidState {
  readonly routerPort: number;
  readonly zkPort: number;
  /** Chosen at the first start and kept: a data dir's segments belong to one metadata store. */
  readonly metadata: 'postgresql' | 'derby';
}

export function isDruidProcess(name: string): boolean {
  return DRUID_STACK_PROCESSES.some((p) => p.name === name);
}

/** A string only this stack's Druid process of that name has in its command line. */
export function druidMarker(druidDataDir: string, name: string): string {
  const proc = DRUID_STACK_PROCESSES.find((p) => p.name === name);
  if (proc === undefined) throw new Error(`not a Druid process: ${name}`);
  // The classpath names the service's rendered conf dir; ZooKeeper's argument is its zoo.cfg.
  return proc.conf === 'zookeeper' ? join(druidDataDir, 'conf', 'zookeeper', 'zoo.cfg') : `${join(druidDataDir, 'conf', proc.conf)}:`;
}

export function druidPortOf(state: Pick<StackDruidState, 'routerPort' | 'zkPort'>, proc: DruidStackProcess): number {
  return proc.port === 'zookeeper' ? state.zkPort : state.routerPort + DRUID_PORT_OFFSETS[proc.port];
}

export function druidLogFile(logsDir: string, proc: DruidStackProcess): string {
  return join(logsDir, proc.conf === 'zookeeper' ? 'zookeeper.log' : `druid-${proc.conf}.log`);
}

export function druidRouterUrl(state: Pick<StackDruidState, 'routerPort'>): string {
  return `http://127.0.0.1:${state.routerPort}`;
}

/** Ports of the processes to start that something else already holds. */
export async function busyDruidPorts(state: Pick<StackDruidState, 'routerPort' | 'zkPort'>, names: readonly string[]): Promise<[string, number][]> {
  const busy: [string, number][] = [];
  for (const proc of DRUID_STACK_PROCESSES) {
    if (!names.includes(proc.name)) continue;
    const ports = proc.port === 'coordinator' ? [druidPortOf(state, proc), state.routerPort + DRUID_PORT_OFFSETS.derby] : [druidPortOf(state, proc)];
    for (const port of ports) if (!(await isPortFree(port))) busy.push([proc.name, port]);
  }
  return busy;
}

export interface StartStackDruidOptions {
  readonly state: StackDruidState;
  readonly cacheDir: string;
  readonly druidDataDir: string;
  readonly logsDir: string;
  /** pid file of a process name. */
  readonly pidFileOf: (name: string) => string;
  /** The embedded Postgres, when metadata goes there. */
  readonly postgresUrl?: string | undefined;
  readonly javaHome?: string | undefined;
  readonly timeoutMs?: number | undefined;
  readonly log: (msg: string) => void;
}

/**
 * Fetches the distribution if needed, starts all six processes and waits for health. Each pid
 * file is written as its process is spawned, so a `local up` killed while Druid starts (Ctrl-C
 * during the half minute of health checks) leaves nothing `local down` cannot find.
 */
export async function startStackDruid(opts: StartStackDruidOptions): Promise<Map<string, number>> {
  if (opts.state.metadata === 'postgresql' && opts.postgresUrl === undefined) {
    throw new LocalStackError('This stack keeps Druid\'s metadata in its embedded Postgres, which is not running: start the stack with Postgres (without --no-postgres).');
  }
  await ensureDruidDistribution(opts.cacheDir, opts.log);
  const started = await startDruid({
    cacheDir: opts.cacheDir,
    dataDir: opts.druidDataDir,
    logDir: opts.logsDir,
    zkPort: opts.state.zkPort,
    routerPort: opts.state.routerPort,
    javaHome: opts.javaHome,
    timeoutMs: opts.timeoutMs,
    log: opts.log,
    properties: { indexer: { 'druid.worker.capacity': String(DRUID_TASK_SLOTS) } },
    onSpawned: async (conf, pid) => {
      const proc = DRUID_STACK_PROCESSES.find((p) => p.conf === conf);
      if (proc !== undefined) await writePidFile(opts.pidFileOf(proc.name), pid);
    },
    ...(opts.state.metadata === 'postgresql' && opts.postgresUrl !== undefined ? { metadata: { postgresUrl: opts.postgresUrl } } : {}),
  });
  const pids = new Map<string, number>();
  for (const [i, proc] of DRUID_STACK_PROCESSES.entries()) {
    const pid = started.pids[i];
    if (pid === undefined) throw new Error(`startDruid returned no pid for ${proc.name}`);
    pids.set(proc.name, pid);
  }
  return pids;
}

/** Whether a running Druid process answers: `ruok` for ZooKeeper, /status/health for the rest. */
export function druidProcessHealthy(state: Pick<StackDruidState, 'routerPort' | 'zkPort'>, proc: DruidStackProcess): Promise<boolean> {
  const port = druidPortOf(state, proc);
  return proc.port === 'zookeeper' ? zkIsOk(port) : druidIsHealthy(port);
}

const LOCAL_DRUID_PORT = 18888;

/**
 * The local Druid's router port: DRUID_URL's when that names this machine, so `ridehail druid`
 * finds it without more configuration; otherwise the default, with a warning.
 */
export function localDruidPort(druidUrl: string | undefined): { port: number; warning?: string } {
  if (druidUrl === undefined) return { port: LOCAL_DRUID_PORT };
  const url = new URL(druidUrl);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (local && url.port !== '') return { port: Number(url.port) };
  if (local) return { port: url.protocol === 'https:' ? 443 : 80 };
  return {
    port: LOCAL_DRUID_PORT,
    warning: `DRUID_URL points at ${url.host}, so \`ridehail druid\` will not use the local Druid (http://127.0.0.1:${LOCAL_DRUID_PORT}) unless you point it there`,
  };
}
