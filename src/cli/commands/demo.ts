import { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { RidehailError, UsageError } from '../errors.js';
import { positiveInt, positiveNumber } from '../parse.js';
import { effectiveDatabaseUrl } from '../../config/config.js';
import { allTopics } from '../../contract/topics.js';
import { createKafka } from '../../kafka/client.js';
import { ensureTopics, withAdmin } from '../../kafka/admin.js';
import { LocalStackError } from '../../local/errors.js';
import { down, up } from '../../local/stack.js';
import { localDruidPort } from '../../local/druid-stack.js';
import { spawn } from 'node:child_process';
import { loadMigrations, migrate } from '../../warehouse/migrations.js';
import { dashboardUrlIn, planDemoStages, stopOrder, type DemoStage } from '../../demo/stages.js';
import { logTail, startStage, stopStage, type RunningStage } from '../../demo/supervisor.js';
import { removeDemoPids, stopLeftoverStages, writeDemoPids } from '../../demo/leftovers.js';

interface DemoCommandOptions {
  rate: number;
  speed: number;
  port: number;
  host: string;
  cities?: string;
  seed?: string;
  keepStack?: boolean;
  druid?: boolean;
}

const BIN = fileURLToPath(new URL('../../../bin/ridehail.js', import.meta.url));
const STAGE_STOP_GRACE_MS = 45_000;
const DASHBOARD_READY_MS = 90_000;

/** Settings a child must not inherit: they point at some other cluster than the demo's. */
const FOREIGN_CONNECTION_ENV = ['KAFKA_SSL', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'];

export function demoCommand(ctx: CliContext): Command {
  return new Command('demo')
    .description('the whole pipeline on this machine in one command: local Kafka and Postgres, topics, generate, enrich, warehouse load and the dashboard; Ctrl-C stops it all')
    .option('--rate <n>', 'events per second the generator aims for', positiveInt, 500)
    .option('--speed <n>', 'event time runs N times faster than the wall clock (a busy evening in minutes)', positiveNumber, 1)
    .option('-p, --port <port>', 'dashboard port', positiveInt, 18080)
    .option('--host <host>', 'dashboard address (anything but loopback is reachable from other machines)', '127.0.0.1')
    .option('--cities <codes>', 'comma-separated city codes (default: every built-in city)')
    .option('--seed <s>', 'seed for the simulation')
    .option('--keep-stack', 'leave Kafka and Postgres running on exit (the stages always stop)')
    .option('--druid', 'also run the local Apache Druid (~1.7 GB), feed it with `ridehail druid submit`, and offer its history on the page')
    .addHelpText(
      'after',
      `
Starts the local stack (as \`ridehail local up\`; what already runs is reused), creates the topics,
migrates the warehouse, then runs four stages as child processes with their logs in
.ridehail/logs/demo-<stage>.log:

  ridehail enrich                      clean, join and window the events, exactly once
  ridehail warehouse load --follow     keep the Postgres warehouse loaded
  ridehail dashboard                   the live page
  ridehail generate --clock wall       simulate the cities

Ctrl-C stops the generator first, lets enrich and the loader commit what they hold, stops the
dashboard, and stops the local stack if the demo started it.

With --druid the stack includes Druid (as \`ridehail local up --druid\`; fetch it first with
\`ridehail local install --druid\`), its supervisors are submitted before the stages start, and the
dashboard's history panel can switch between the warehouse and Druid.

Examples:
  $ ridehail demo                       then open http://127.0.0.1:18080
  $ ridehail demo --speed 20            twenty minutes of the city per minute
  $ ridehail demo --cities nyc,lon --rate 200 --port 8080
  $ ridehail demo --druid --speed 10    with live OLAP in Druid as well`,
    )
    .action(async (opts: DemoCommandOptions, command: Command) => {
      const { config } = ctx.config(command, { ignoreFlags: ['brokers'] });
      const out = ctx.output(command);
      const shutdown = ctx.shutdownSignal();
      const logsDir = join(config.localDir, 'logs');
      const pidsFile = join(config.localDir, 'demo.json');
      mkdirSync(logsDir, { recursive: true });

      const leftovers = await stopLeftoverStages(pidsFile);
      if (leftovers.runningDemoPid !== undefined) {
        throw new UsageError(`a demo already runs on this stack (pid ${leftovers.runningDemoPid}); stop it with Ctrl-C in its terminal or \`kill ${leftovers.runningDemoPid}\``);
      }
      if (leftovers.stopped.length > 0) out.warn(`stopped stages an earlier demo left running: ${leftovers.stopped.join(', ')}`);

      const druidPort = opts.druid === true ? localDruidPort(config.druidUrl) : undefined;
      const what = druidPort !== undefined ? 'Kafka, Postgres and Druid' : 'Kafka and Postgres';
      const spinner = out.spinner(`Starting ${what}…`);
      let stack;
      try {
        stack = await up({
          stackDir: config.localDir,
          cacheDir: config.cacheDir,
          kafkaPortBase: config.kafkaPortBase,
          postgresPort: config.postgresPort,
          databaseUrl: config.databaseUrl,
          javaHome: process.env['JAVA_HOME'],
          kafkaHome: process.env['KAFKA_HOME'],
          pathEnv: process.env['PATH'],
          ...(druidPort !== undefined ? { druid: { routerPort: druidPort.port } } : {}),
          log: (msg) => spinner.update(msg),
        });
      } catch (err) {
        spinner.fail('The local stack did not start');
        if (err instanceof LocalStackError) throw new RidehailError(err.message, { cause: err });
        throw err;
      }
      const startedStack = stack.processes.some((p) => p.action === 'started');
      spinner.succeed(startedStack ? `${what} are up` : `${what} were already running`);
      const brokers = stack.connection.KAFKA_BROKERS;
      const databaseUrl = stack.connection.DATABASE_URL ?? effectiveDatabaseUrl(config);
      const druidUrl = stack.connection.DRUID_URL;

      const stopStack = async (): Promise<void> => {
        if (!startedStack || opts.keepStack) {
          out.info(`The local stack keeps running (\`ridehail local down\` stops it).`);
          return;
        }
        const stopping = out.spinner(`Stopping ${what}…`);
        await down({ stackDir: config.localDir });
        stopping.succeed(`${what} stopped`);
      };

      let stages: RunningStage[] = [];
      let failed: RunningStage | undefined;
      try {
        await prepare(out, config, brokers, databaseUrl);
        const plan = planDemoStages({
          rate: opts.rate,
          speed: opts.speed,
          port: opts.port,
          host: opts.host,
          cities: opts.cities?.split(',').map((c) => c.trim()).filter((c) => c !== ''),
          seed: opts.seed,
          druid: druidUrl !== undefined,
        });
        const env = childEnv(brokers, databaseUrl, druidUrl);
        if (druidUrl !== undefined) await submitDruidSpecs(out, env, join(logsDir, 'demo-druid-submit.log'));
        // Each demo's logs start empty (the previous one's are kept as .1), so the dashboard URL
        // found in a log is this run's.
        for (const stage of plan) rotateLog(join(logsDir, `demo-${stage.name}.log`));
        stages = plan.map((stage) => startStage({ name: stage.name, command: process.execPath, args: [BIN, ...stage.args], env, logFile: join(logsDir, `demo-${stage.name}.log`) }));
        writeDemoPids(pidsFile, { demoPid: process.pid, stages: stages.map((s) => ({ name: s.name, pid: s.pid })) });
        // A second Ctrl-C exits at once (see the context); the stages must not outlive that.
        process.once('exit', () => killAll(stages));

        const dashboard = stages.find((s) => s.name === 'dashboard')!;
        const url = await waitForDashboard(dashboard, stages, shutdown);
        if (url === undefined && !shutdown.aborted) {
          failed = stages.find((s) => s.hasExited());
        } else if (url !== undefined) {
          banner(out, url, plan, stages, logsDir);
          failed = await watch(out, url, stages, shutdown);
        }
      } finally {
        await stopAll(out, stages);
        removeDemoPids(pidsFile);
        await stopStack();
      }
      if (failed !== undefined) {
        const tail = logTail(failed.logFile);
        throw new RidehailError(`the ${failed.name} stage stopped on its own (exit ${await failed.exited}); the end of ${failed.logFile}:\n${tail.map((l) => `  ${l}`).join('\n')}`);
      }
      out.success('Demo stopped; the warehouse and topics keep what it produced.');
    });
}

async function prepare(out: Output, config: ReturnType<CliContext['config']>['config'], brokers: string, databaseUrl: string): Promise<void> {
  const topics = await withAdmin(createKafka({ brokers: brokers.split(','), clientId: config.kafka.clientId, ssl: false }), (admin) => ensureTopics(admin, allTopics(), { partitions: 3 }));
  out.info(topics.created.length > 0 ? `created ${topics.created.length} topics` : 'topics exist');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect().catch((error: Error) => {
    throw new RidehailError(`cannot connect to Postgres: ${error.message}`, { cause: error });
  });
  try {
    const applied = await migrate(client, loadMigrations());
    out.info(applied.length > 0 ? `warehouse: applied ${applied.length} migrations` : 'warehouse schema is up to date');
  } finally {
    await client.end();
  }
}

function rotateLog(file: string): void {
  if (existsSync(file)) renameSync(file, `${file}.1`);
}

function childEnv(brokers: string, databaseUrl: string, druidUrl: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: brokers, DATABASE_URL: databaseUrl, NO_COLOR: '1', ...(druidUrl !== undefined ? { DRUID_URL: druidUrl } : {}) };
  for (const name of FOREIGN_CONNECTION_ENV) delete env[name];
  return env;
}

/** `ridehail druid submit` as a child, like every stage: same config resolution, its output logged. */
async function submitDruidSpecs(out: Output, env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const spinner = out.spinner('Submitting the Druid supervisors…');
  const child = spawn(process.execPath, [BIN, 'druid', 'submit'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  writeFileSync(logFile, output);
  if (code !== 0) {
    spinner.fail('Druid did not take the supervisors');
    throw new RidehailError(`ridehail druid submit failed (exit ${code}):\n${output.trim().split('\n').map((l) => `  ${l}`).join('\n')}`);
  }
  spinner.succeed('Druid ingests enriched_rides, both metrics topics and ride_events');
}

async function waitForDashboard(dashboard: RunningStage, stages: RunningStage[], shutdown: AbortSignal): Promise<string | undefined> {
  const deadline = Date.now() + DASHBOARD_READY_MS;
  while (Date.now() < deadline && !shutdown.aborted) {
    if (stages.some((s) => s.hasExited())) return undefined;
    if (existsSync(dashboard.logFile)) {
      for (const line of readFileSync(dashboard.logFile, 'utf8').split('\n')) {
        const url = dashboardUrlIn(line);
        if (url !== undefined) return url;
      }
    }
    await sleep(250);
  }
  if (shutdown.aborted) return undefined;
  throw new RidehailError(`the dashboard did not start listening within ${DASHBOARD_READY_MS / 1000} s; see ${dashboard.logFile}`);
}

function banner(out: Output, url: string, plan: readonly DemoStage[], stages: readonly RunningStage[], logsDir: string): void {
  out.info('');
  out.success(`Dashboard: ${url}`);
  for (const stage of plan) {
    const running = stages.find((s) => s.name === stage.name)!;
    out.info(`  ${stage.name.padEnd(10)} pid ${String(running.pid).padEnd(8)} ${stage.role}`);
  }
  out.info(`Logs in ${logsDir}/demo-*.log. Ctrl-C stops everything.`);
  out.info('');
}

interface DashboardStatus {
  status: { state: string; records: number; secondsSinceLastRecord: number | null; newestWindowEnd: string | null };
  cities: string[];
}

/** Until Ctrl-C or a stage ends by itself (returned); shows what the dashboard has received. */
async function watch(out: Output, url: string, stages: RunningStage[], shutdown: AbortSignal): Promise<RunningStage | undefined> {
  let lastPrinted = 0;
  while (!shutdown.aborted) {
    const exited = stages.find((s) => s.hasExited());
    if (exited !== undefined) return exited;
    const status = await fetch(new URL('/api/status', url), { signal: AbortSignal.timeout(2_000) })
      .then((res) => (res.ok ? (res.json() as Promise<DashboardStatus>) : undefined))
      .catch(() => undefined);
    if (status !== undefined) {
      const s = status.status;
      const line = s.records === 0
        ? 'waiting for the first metric windows (they appear once enrich has seen a minute of events)…'
        : `${s.state} · ${s.records.toLocaleString('en-US')} metric windows · ${status.cities.length} cities · last update ${s.secondsSinceLastRecord ?? '?'} s ago`;
      if (out.interactive) out.live(line);
      else if (Date.now() - lastPrinted >= 60_000) {
        out.info(line);
        lastPrinted = Date.now();
      }
    }
    await sleep(2_000, undefined, { signal: shutdown }).catch(() => undefined);
  }
  out.endLive();
  return undefined;
}

async function stopAll(out: Output, stages: RunningStage[]): Promise<void> {
  out.endLive();
  for (const running of stopOrder(stages)) {
    const outcome = await stopStage(running, STAGE_STOP_GRACE_MS);
    if (outcome === 'exited') out.info(`stopped ${running.name}`);
    if (outcome === 'killed') out.warn(`${running.name} did not stop within ${STAGE_STOP_GRACE_MS / 1000} s and was killed; see ${running.logFile}`);
  }
}

function killAll(stages: readonly RunningStage[]): void {
  for (const stage of stages) {
    if (stage.hasExited()) continue;
    try {
      process.kill(-stage.pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
}
