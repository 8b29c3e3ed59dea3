import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { RidehailError, UsageError } from '../errors.js';
import { DruidClient, DruidHttpError, DruidUnreachableError, type SupervisorAction } from '../../druid/client.js';
import { prepareSpecs } from '../../druid/spec-files.js';
import { consumerProperties, DRUID_SPECS, maskSecrets, parseConsumerPropertyEnv, selectSpecs, SpecError, taskSlots, type RenderedSpec } from '../../druid/specs.js';
import { parseContextEntry, sqlDisplayRows, sqlRowsAsObjects } from '../../druid/sql.js';
import { slotWarning, summarizeSupervisor, supervisorRow, type SupervisorSummary } from '../../druid/status.js';

const UNREACHABLE_HINT = 'start the local Druid with `ridehail local up --druid`, or point --druid-url / DRUID_URL at a Druid router';

/** Client errors in the user's terms: Druid's own words, one line, exit 1. */
function translate(error: unknown, client: DruidClient): unknown {
  if (error instanceof DruidUnreachableError) return new RidehailError(error.message, { cause: error, hint: UNREACHABLE_HINT });
  if (error instanceof DruidHttpError) {
    let hint: string | undefined;
    const endpointMissing = error.endpointMissing;
    if (endpointMissing && error.path.startsWith('/druid/v2/sql')) {
      hint = `${client.baseUrl} does not serve SQL: point DRUID_URL at a router or a broker (an overlord serves only supervisors)`;
    } else if (endpointMissing) {
      hint = `${client.baseUrl} does not serve ${error.path.split('?')[0]}: point DRUID_URL at a router (or an overlord, for the supervisor commands)`;
    } else if (error.status === 401 || error.status === 403) {
      hint = 'Druid wants credentials: put them in the URL, e.g. DRUID_URL=https://user:password@druid.example.com:8888';
    }
    const what = endpointMissing ? `${error.path.split('?')[0]} not found (HTTP 404)` : error.message;
    return new RidehailError(`Druid: ${what}`, { cause: error, ...(hint !== undefined ? { hint } : {}) });
  }
  if (error instanceof SpecError) return new RidehailError(error.message, { cause: error });
  return error;
}

function clientFor(ctx: CliContext, command: Command): DruidClient {
  return new DruidClient(ctx.config(command).config.druidUrl);
}

async function withDruid<T>(client: DruidClient, fn: (client: DruidClient) => Promise<T>): Promise<T> {
  try {
    return await fn(client);
  } catch (error) {
    throw translate(error, client);
  }
}

function brokerList(raw: string): string[] {
  const list = raw.split(',').map((b) => b.trim()).filter(Boolean);
  if (list.length === 0 || list.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) throw new UsageError(`--bootstrap-servers: "${raw}" is not a comma-separated list of host:port`);
  return list;
}

interface SubmitOptions {
  spec: string;
  dryRun?: boolean;
  topicPrefix: string;
  datasourcePrefix?: string;
  bootstrapServers?: string;
  consumerPropertyEnv: string[];
}

type SubmitAction = 'created' | 'updated';

async function submit(ctx: CliContext, command: Command, opts: SubmitOptions): Promise<void> {
  const { config } = ctx.config(command);
  const out = ctx.output(command);
  let defs;
  try {
    defs = selectSpecs(opts.spec);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const bootstrap = opts.bootstrapServers !== undefined ? brokerList(opts.bootstrapServers) : config.kafka.brokers;
  let fromEnv: Record<string, string>;
  try {
    fromEnv = Object.fromEntries(opts.consumerPropertyEnv.map(parseConsumerPropertyEnv));
  } catch (error) {
    throw new UsageError(`--consumer-property-env: ${(error as Error).message}`);
  }
  if (config.kafka.sasl !== undefined && fromEnv['sasl.jaas.config'] === undefined && !opts.dryRun) {
    out.warn("the SASL password goes into the supervisor specs, which Druid stores in its metadata; --consumer-property-env sasl.jaas.config=VARIABLE keeps it in Druid's environment instead (see --help)");
  }
  let specs: RenderedSpec[];
  try {
    specs = prepareSpecs(defs, {
      topicPrefix: opts.topicPrefix,
      datasourcePrefix: opts.datasourcePrefix ?? opts.topicPrefix,
      consumerProperties: consumerProperties(config.kafka, bootstrap, fromEnv),
    });
  } catch (error) {
    throw translate(error, new DruidClient(config.druidUrl));
  }

  if (opts.dryRun) {
    // The specs themselves are the output, ready for curl or the web console.
    const shown = specs.map((s) => maskSecrets(s.spec));
    out.json(shown.length === 1 ? shown[0] : shown);
    return;
  }

  const client = new DruidClient(config.druidUrl);
  const results = await withDruid(client, async (druid) => {
    // From the specs, not `?state=true`: Druid 33 reports suspended=false there for a suspended supervisor.
    const existing = new Map((await druid.supervisorsFull()).map((s) => [s.id, { suspended: (s.spec as { suspended?: unknown } | undefined)?.suspended === true }]));
    const done: { name: string; id: string; dataSource: string; topic: string; action: SubmitAction; suspended: boolean }[] = [];
    for (const s of specs) {
      const before = existing.get(s.id);
      // Posting a spec without `suspended` would resume a supervisor someone suspended on purpose.
      const suspended = before?.suspended === true;
      const body = suspended ? { ...s.spec, suspended: true } : s.spec;
      const id = await druid.submitSupervisor(body);
      const action: SubmitAction = before !== undefined ? 'updated' : 'created';
      done.push({ name: s.name, id: id || s.id, dataSource: s.dataSource, topic: s.topic, action, suspended });
      if (!out.jsonMode) {
        out.success(`✔ ${id || s.id}: ${action}, reading topic ${s.topic} into datasource ${s.dataSource}${suspended ? ' (still suspended: `ridehail druid resume` to start it)' : ''}`);
      }
    }
    return done;
  });

  const warning = await capacityWarning(client);
  if (warning !== undefined) out.warn(warning);
  if (out.jsonMode) out.json(results);
}

/** Best effort: a cluster that hides its workers from us simply gets no warning. */
async function capacityWarning(client: DruidClient): Promise<string | undefined> {
  try {
    const [workers, supervisors] = await Promise.all([client.workers(), client.supervisorsFull()]);
    const capacity = workers.reduce((n, w) => n + (w.worker?.capacity ?? 0), 0);
    const wanted = supervisors.filter((s) => (s.spec as { suspended?: boolean } | undefined)?.suspended !== true).reduce((n, s) => n + taskSlots(s.spec), 0);
    return slotWarning(workers.length > 0 ? capacity : undefined, wanted);
  } catch {
    return undefined;
  }
}

async function supervisorSummaries(client: DruidClient, ids: readonly string[]): Promise<SupervisorSummary[]> {
  const [states, pending] = await Promise.all([client.supervisorStates(), client.pendingTaskIds().catch(() => [] as string[])]);
  const unknown = ids.filter((id) => !states.some((s) => s.id === id));
  if (unknown.length > 0) throw new RidehailError(`Druid has no supervisor ${unknown.join(', ')} (it has: ${states.map((s) => s.id).join(', ') || 'none'})`);
  const pendingSet = new Set(pending);
  const chosen = states.filter((s) => ids.length === 0 || ids.includes(s.id)).sort((a, b) => a.id.localeCompare(b.id));
  return Promise.all(
    chosen.map(async (entry) => {
      try {
        return summarizeSupervisor(entry, await client.supervisorStatus(entry.id), pendingSet);
      } catch (error) {
        // Terminated between the two requests, or the overlord is busy: say so on its row.
        if (error instanceof DruidHttpError) return summarizeSupervisor(entry, undefined, pendingSet, error.message);
        throw error;
      }
    }),
  );
}

async function status(ctx: CliContext, command: Command, ids: string[]): Promise<void> {
  const out = ctx.output(command);
  const client = clientFor(ctx, command);
  const { summaries, capacity } = await withDruid(client, async (druid) => {
    const summaries = await supervisorSummaries(druid, ids);
    const workers = await druid.workers().catch(() => undefined);
    const capacity = workers === undefined ? undefined : { slots: workers.reduce((n, w) => n + (w.worker?.capacity ?? 0), 0), used: workers.reduce((n, w) => n + (w.currCapacityUsed ?? 0), 0) };
    return { summaries, capacity };
  });
  if (out.jsonMode) {
    out.json({ druidUrl: client.baseUrl, taskSlots: capacity ?? null, supervisors: summaries });
    return;
  }
  if (summaries.length === 0) {
    out.info(`No supervisors in Druid at ${client.baseUrl}; create them with \`ridehail druid submit\`.`);
    return;
  }
  const slots = capacity !== undefined ? `, ${capacity.used} of ${capacity.slots} task slots in use` : '';
  out.info(`Druid at ${client.baseUrl}: ${summaries.length} supervisor(s)${slots}`);
  out.table(summaries.map(supervisorRow), ['supervisor', 'topic', 'state', 'healthy', 'lag', 'tasks', 'last error']);
  const waiting = summaries.filter((s) => s.tasks.waiting > 0);
  if (waiting.length > 0) out.warn(`${waiting.map((s) => s.id).join(', ')}: tasks waiting for a free task slot; their datasources fall behind until one frees up`);
}

const ACTION_DONE: Record<SupervisorAction, string> = { suspend: 'suspended', resume: 'resumed', reset: 'reset', terminate: 'terminated' };

async function act(ctx: CliContext, command: Command, action: SupervisorAction, ids: string[]): Promise<void> {
  const out = ctx.output(command);
  const client = clientFor(ctx, command);
  const done: { id: string; action: string }[] = [];
  await withDruid(client, async (druid) => {
    for (const id of ids) {
      await druid.supervisorAction(id, action);
      done.push({ id, action: ACTION_DONE[action] });
      if (!out.jsonMode) out.success(`✔ ${id}: ${ACTION_DONE[action]}`);
    }
  });
  if (out.jsonMode) out.json(done);
}

function collectContext(entry: string, previous: Record<string, unknown>): Record<string, unknown> {
  try {
    const [key, value] = parseContextEntry(entry);
    return { ...previous, [key]: value };
  } catch (error) {
    throw new UsageError(`--context ${(error as Error).message}`);
  }
}

async function query(ctx: CliContext, command: Command, sql: string, opts: { context: Record<string, unknown> }): Promise<void> {
  const out: Output = ctx.output(command);
  if (sql.trim() === '') throw new UsageError('the query is empty');
  const client = clientFor(ctx, command);
  const started = Date.now();
  const result = await withDruid(client, (druid) => druid.sql(sql, opts.context));
  if (out.jsonMode) {
    out.json(sqlRowsAsObjects(result));
    return;
  }
  out.table(sqlDisplayRows(result), [...result.columns]);
  out.info(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'}, ${((Date.now() - started) / 1000).toFixed(2)} s)`);
}

export function druidCommand(ctx: CliContext): Command {
  const druid = new Command('druid')
    .description('feed Druid from Kafka (supervisors from specs/druid/) and query it with Druid SQL')
    .addHelpText(
      'after',
      `
Talks to the Druid at --druid-url / DRUID_URL (default: the local one, http://127.0.0.1:18888).
A router serves everything; an overlord serves only the supervisor commands.

Example:
  $ ridehail druid submit && ridehail druid status
`,
    );

  druid
    .command('submit')
    .description('create or update the Kafka supervisors that ingest the pipeline\'s topics (Druid updates a supervisor that exists)')
    .addOption(new Option('--spec <name>', `which spec: ${DRUID_SPECS.map((s) => s.name).join(', ')} (comma-separated), or all`).default('all'))
    .option('--dry-run', 'print the filled-in spec(s) as JSON instead of posting them (passwords masked)')
    .option('--topic-prefix <prefix>', 'prefix of every topic read, as given to `enrich --topic-prefix`', '')
    .option('--datasource-prefix <prefix>', 'prefix of every datasource (default: the topic prefix)')
    .option('--bootstrap-servers <list>', "Kafka as Druid's tasks reach it, if not at the CLI's --brokers address")
    .option(
      '--consumer-property-env <property=VARIABLE>',
      "a Kafka consumer property Druid's processes read from their environment, not from the stored spec (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--json', 'print what was done as JSON')
    .addHelpText(
      'after',
      `
Secrets: Druid stores each supervisor spec in its metadata and shows it to anyone who may read
supervisors, so a SASL password would sit there in clear. With
  --consumer-property-env sasl.jaas.config=KAFKA_JAAS_CONFIG
the spec names the variable instead (Druid's environment dynamic config provider), and Druid
reads it when a task connects. Set it in the environment of the Overlord and of the processes
that run tasks (Indexer, or MiddleManager and its Peons), to the whole JAAS line:
  org.apache.kafka.common.security.plain.PlainLoginModule required username="…" password="…";
(ScramLoginModule for SCRAM). Without it, submit warns when a SASL password goes into the spec.

Specs (specs/druid/<name>.json; topic, datasource and Kafka settings are filled in from the
configuration, and each spec is checked against the topic's JSON Schema before it is posted):
${DRUID_SPECS.map((s) => `  ${s.name.padEnd(21)} ${s.summary}`).join('\n')}

The supervisor is named after its datasource. Posting again is an update: Druid keeps the
offsets, and an unchanged spec does not even restart the tasks; a suspended supervisor stays
suspended. Each supervisor needs a free task slot per task (and another while a task hands off):
submit warns when Druid has fewer.

Examples:
  $ ridehail druid submit
  $ ridehail druid submit --spec enriched_rides --dry-run > enriched_rides.json
  $ ridehail druid submit --topic-prefix staging. --datasource-prefix staging_
  $ DRUID_URL=https://admin:secret@druid.example.com:8888 ridehail druid submit --bootstrap-servers kafka-1:9092
  $ ridehail druid submit --consumer-property-env sasl.jaas.config=KAFKA_JAAS_CONFIG`,
    )
    .action((opts: SubmitOptions, command: Command) => submit(ctx, command, opts));

  druid
    .command('status')
    .argument('[supervisors...]', 'only these (default: every supervisor Druid runs)')
    .description("each supervisor's state, health, lag behind Kafka, tasks and recent errors")
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      `
lag is the records of the topic not yet read. With exactly-once (transactional) producers, as
\`ridehail enrich\` is, each partition's end includes a commit marker, so a caught-up supervisor
shows a lag of about one per partition.

Examples:
  $ ridehail druid status
  $ ridehail druid status enriched_rides --json`,
    )
    .action((ids: string[], _opts: unknown, command: Command) => status(ctx, command, ids));

  const actions: [SupervisorAction, string, string][] = [
    ['suspend', 'stop reading (tasks publish what they have); the supervisor and its offsets stay', ''],
    ['resume', 'start reading again where a suspended supervisor stopped', ''],
    [
      'reset',
      'forget the stored offsets and read from the earliest offset again',
      '\nRows already ingested stay, so a reset ingests them twice unless the datasource is dropped first.\n',
    ],
    ['terminate', 'stop the supervisor and remove it (its datasource and segments stay queryable)', ''],
  ];
  for (const [action, description, note] of actions) {
    druid
      .command(action)
      .argument('<supervisors...>', 'supervisor ids, as `ridehail druid status` lists them')
      .description(description)
      .option('--json', 'print what was done as JSON')
      .addHelpText('after', `${note}\nExample:\n  $ ridehail druid ${action} enriched_rides\n`)
      .action((ids: string[], _opts: unknown, command: Command) => act(ctx, command, action, ids));
  }

  druid
    .command('query')
    .argument('<sql>', 'a Druid SQL statement')
    .description('run Druid SQL (/druid/v2/sql) and print the rows as a table')
    .option('-c, --context <key=value>', 'a query context parameter (repeatable), e.g. useApproximateCountDistinct=false', collectContext, {})
    .option('--json', 'print the rows as a JSON array of objects')
    .addHelpText(
      'after',
      `
enriched_rides holds every revision of a ride; ride_metrics_1m every revision of a window, so
read a window's latest with LATEST_BY(col, MILLIS_TO_TIMESTAMP(revision)). ride_events is rolled
up: count events with SUM("events"), distinct rides with APPROX_COUNT_DISTINCT_DS_THETA(unique_rides).

Examples:
  $ ridehail druid query "SELECT city, COUNT(*) AS rides FROM enriched_rides WHERE status = 'completed' AND __time >= CURRENT_TIMESTAMP - INTERVAL '1' DAY GROUP BY city"
  $ ridehail druid query "SELECT driver_id, COUNT(*) AS rides FROM enriched_rides WHERE __time >= CURRENT_TIMESTAMP - INTERVAL '1' DAY GROUP BY 1 ORDER BY 2 DESC LIMIT 10" --json
  $ ridehail druid query "SELECT COUNT(DISTINCT driver_id) FROM enriched_rides" -c useApproximateCountDistinct=false`,
    )
    .action((sql: string, opts: { context: Record<string, unknown> }, command: Command) => query(ctx, command, sql, opts));

  return druid;
}
