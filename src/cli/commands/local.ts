import { Command } from 'commander';
import { RidehailError, UsageError } from '../errors.js';
import { LocalStackError } from '../../local/errors.js';
import { MAX_NODES_PER_ROLE } from '../../local/kafka-topology.js';
import { down, status, up, type ProcessStatus, type UpProcess } from '../../local/stack.js';
import { ensureKafkaDist, KAFKA_VERSION } from '../../local/kafka-dist.js';
import { ensureDruidDistribution, DRUID_VERSION } from '../../local/druid.js';
import { localDruidPort } from '../../local/druid-stack.js';

export interface LocalConfig {
  localDir: string;
  cacheDir: string;
  kafkaPortBase: number;
  postgresPort: number;
  databaseUrl?: string | undefined;
  /** Where `ridehail druid` looks; `up --druid` puts the local router on its port. */
  druidUrl?: string | undefined;
}

export interface LocalSpinner {
  succeed(t?: string): void;
  fail(t?: string): void;
  update(t: string): void;
}

export interface LocalOutput {
  info(msg: string): void;
  json(value: unknown): void;
  spinner(text: string): LocalSpinner;
}

export interface LocalCommandDeps {
  /** Receives the subcommand being run, for callers that resolve flags per command; may ignore it. */
  resolveConfig: (command: Command) => LocalConfig;
  /** An output, or a factory for one per subcommand (so --json can pick the mode). */
  out: LocalOutput | ((command: Command) => LocalOutput);
  /** Where JAVA_HOME, KAFKA_HOME and PATH come from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

function parseCount(raw: string | undefined, what: 'controllers' | 'brokers'): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES_PER_ROLE) {
    throw new UsageError(`--${what} must be a whole number from 1 to ${MAX_NODES_PER_ROLE}, got "${raw}"`);
  }
  return n;
}

function runtime(err: unknown): unknown {
  if (err instanceof LocalStackError) return new RidehailError(err.message, { cause: err });
  return err;
}

function describeProcess(p: ProcessStatus & { action?: UpProcess['action'] }): string {
  const ports = p.controllerPort !== undefined ? `127.0.0.1:${p.port} (quorum ${p.controllerPort})` : `127.0.0.1:${p.port}`;
  const pid = p.pid === null ? '-' : String(p.pid);
  const what = p.action === undefined ? p.health : p.action === 'started' ? 'started' : 'already running';
  // Wide enough for druid-coordinator-overlord.
  return `  ${p.name.padEnd(26)} ${p.role.padEnd(17)} pid ${pid.padEnd(8)} ${ports.padEnd(30)} ${what}${p.note !== undefined ? ` (${p.note})` : ''}`;
}

export function localCommand(deps: LocalCommandDeps): Command {
  const env = deps.env ?? process.env;
  const outFor = (command: Command): LocalOutput => (typeof deps.out === 'function' ? deps.out(command) : deps.out);

  const local = new Command('local')
    .description('run Kafka and Postgres (and Druid) on this machine for development (state in .ridehail/)')
    .addHelpText('after', '\nExample:\n  $ ridehail local up --controllers 3 --brokers 3\n');

  local
    .command('up')
    .description('start the local Kafka cluster and Postgres (what already runs is left alone) and print their connection strings')
    .option('--controllers <n>', 'KRaft controllers (default: as before, else 1; with 1 broker: one combined process)')
    .option('--brokers <n>', 'Kafka brokers (default: as before, else 1)')
    .option('--no-postgres', 'do not start the embedded Postgres')
    .option('--druid', `also start Apache Druid ${DRUID_VERSION} (six JVMs, ~1.7 GB; its metadata in the embedded Postgres)`)
    .addHelpText(
      'after',
      `
Ports: brokers on base, base+1, …; controllers on base+100, base+101, … (base 19092 unless
configured); Postgres on 15432; with --druid the router on DRUID_URL's port (18888), the other
Druid services on the next five and ZooKeeper on router+10. Logs go to .ridehail/logs/. Kafka
and Druid run on Java 17; their jars are fetched once with Maven into the cache (or set
KAFKA_HOME to an unpacked Kafka 4.x). Druid is sized for a 2-core, 24 GiB machine and has 8
task slots: enough for the four supervisors of \`ridehail druid submit\`. Without --druid, a
Druid that runs is left running.

Examples:
  $ ridehail local up --controllers 3 --brokers 3
  $ ridehail local up --druid && ridehail druid submit
`,
    )
    .action(async (opts: { controllers?: string; brokers?: string; postgres: boolean; druid?: boolean }, command: Command) => {
      const controllers = parseCount(opts.controllers, 'controllers');
      const brokers = parseCount(opts.brokers, 'brokers');
      const config = deps.resolveConfig(command);
      const out = outFor(command);
      const druidPort = opts.druid === true ? localDruidPort(config.druidUrl) : undefined;
      const spinner = out.spinner(opts.druid === true ? 'Starting the local stack with Druid…' : 'Starting the local stack…');
      let result;
      try {
        result = await up({
          stackDir: config.localDir,
          cacheDir: config.cacheDir,
          kafkaPortBase: config.kafkaPortBase,
          postgresPort: config.postgresPort,
          databaseUrl: config.databaseUrl,
          controllers,
          brokers,
          postgres: opts.postgres,
          ...(druidPort !== undefined ? { druid: { routerPort: druidPort.port } } : {}),
          javaHome: env['JAVA_HOME'],
          kafkaHome: env['KAFKA_HOME'],
          pathEnv: env['PATH'],
          log: (msg) => spinner.update(msg),
        });
      } catch (err) {
        spinner.fail('The local stack did not start');
        throw runtime(err);
      }
      spinner.succeed(result.alreadyRunning ? 'The local stack is already running' : 'The local stack is up');
      for (const p of result.processes) out.info(describeProcess(p));
      for (const w of [...result.warnings, ...(druidPort?.warning !== undefined ? [druidPort.warning] : [])]) out.info(`warning: ${w}`);
      out.info('');
      out.info(`KAFKA_BROKERS=${result.connection.KAFKA_BROKERS}`);
      if (result.connection.DATABASE_URL !== undefined) out.info(`DATABASE_URL=${result.connection.DATABASE_URL}`);
      if (result.connection.DRUID_URL !== undefined) out.info(`DRUID_URL=${result.connection.DRUID_URL}`);
      out.info(`\nLogs in ${result.stackDir}/logs; stop with \`ridehail local down\`.`);
    });

  local
    .command('install')
    .description('fetch the pinned Kafka jars (and with --druid, Druid\'s) into the cache now, so later starts work offline')
    .option('--druid', `also fetch Apache Druid ${DRUID_VERSION} (about 200 MB)`)
    .addHelpText(
      'after',
      `
Kafka ${KAFKA_VERSION} comes from Maven Central through mvn, once, into the cache (~/.cache/ridehail or
RIDEHAIL_CACHE); with KAFKA_HOME set, that distribution is used and nothing is fetched.

Examples:
  $ ridehail local install
  $ ridehail local install --druid
`,
    )
    .action(async (opts: { druid?: boolean }, command: Command) => {
      const config = deps.resolveConfig(command);
      const out = outFor(command);
      const spinner = out.spinner(`Fetching Kafka ${KAFKA_VERSION}…`);
      try {
        const dist = await ensureKafkaDist({
          cacheDir: config.cacheDir,
          kafkaHome: env['KAFKA_HOME'],
          pathEnv: env['PATH'],
          log: (msg) => spinner.update(msg),
        }).catch((err: unknown) => {
          spinner.fail(`Kafka ${KAFKA_VERSION} could not be fetched`);
          throw err;
        });
        spinner.succeed(`Kafka ${KAFKA_VERSION}: ${dist.libsDir} (${dist.source})`);
        if (opts.druid) {
          const druidSpinner = out.spinner(`Fetching Druid ${DRUID_VERSION}…`);
          const home = await ensureDruidDistribution(config.cacheDir, (msg) => druidSpinner.update(msg)).catch((err: unknown) => {
            druidSpinner.fail(`Druid ${DRUID_VERSION} could not be fetched`);
            throw err;
          });
          druidSpinner.succeed(`Druid ${DRUID_VERSION}: ${home}`);
        }
      } catch (err) {
        throw runtime(err);
      }
    });

  local
    .command('down')
    .description('stop the processes `local up` started (data is kept unless --purge)')
    .option('--purge', 'also delete the stack data (Kafka topics, Postgres database, Druid segments)')
    .addHelpText('after', '\nExample:\n  $ ridehail local down\n  $ ridehail local down --purge\n')
    .action(async (opts: { purge?: boolean }, command: Command) => {
      const config = deps.resolveConfig(command);
      const out = outFor(command);
      const spinner = out.spinner('Stopping the local stack…');
      let result;
      try {
        result = await down({ stackDir: config.localDir, purge: opts.purge, log: (msg) => spinner.update(msg) });
      } catch (err) {
        spinner.fail('The local stack did not stop cleanly');
        throw runtime(err);
      }
      const stopped = result.processes.filter((p) => p.result === 'stopped' || p.result === 'killed');
      spinner.succeed(stopped.length === 0 ? 'Nothing was running' : `Stopped ${stopped.map((p) => p.name).join(', ')}`);
      for (const p of result.processes) {
        if (p.result === 'killed') out.info(`  ${p.name} (pid ${p.pid}) did not stop in time and was killed`);
        if (p.result === 'stale-pid-file') out.info(`  ${p.name}: removed a stale pid file (pid ${p.pid} was not ours)`);
      }
      if (result.purged) out.info(`Deleted the data in ${result.stackDir}/data`);
    });

  local
    .command('status')
    .description('show each process of the local stack: role, pid, port, health')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nExample:\n  $ ridehail local status --json\n')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const config = deps.resolveConfig(command);
      const out = outFor(command);
      let result;
      try {
        result = await status({ stackDir: config.localDir, databaseUrl: config.databaseUrl });
      } catch (err) {
        throw runtime(err);
      }
      if (opts.json === true) return out.json(result);
      if (!result.exists) return out.info(`No local stack in ${result.stackDir}; start one with \`ridehail local up\`.`);
      out.info(`Local stack in ${result.stackDir}: ${result.controllers} controller(s), ${result.brokers} broker(s)`);
      for (const p of result.processes) out.info(describeProcess(p));
      if (result.connection !== undefined) {
        out.info('');
        out.info(`KAFKA_BROKERS=${result.connection.KAFKA_BROKERS}`);
        if (result.connection.DATABASE_URL !== undefined) out.info(`DATABASE_URL=${result.connection.DATABASE_URL}`);
        if (result.connection.DRUID_URL !== undefined) out.info(`DRUID_URL=${result.connection.DRUID_URL}`);
      }
    });

  return local;
}
