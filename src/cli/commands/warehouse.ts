import { Command } from 'commander';
import type pg from 'pg';
import type { CliContext } from '../context.js';
import { RidehailError, UsageError } from '../errors.js';
import { durationMs, positiveInt } from '../parse.js';
import { effectiveDatabaseUrl } from '../../config/config.js';
import { createKafka } from '../../kafka/client.js';
import { CHECKS, runChecks } from '../../warehouse/checks.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_GROUP, loadFile, loadKafka, type LoadProgress, type LoadSummary } from '../../warehouse/load.js';
import { refreshMarts } from '../../warehouse/marts.js';
import { assertMigrated, loadMigrations, migrate, migrationStatus } from '../../warehouse/migrations.js';
import { piiSalt } from '../../warehouse/pii.js';
import { isConnectionError, PgSession } from '../../warehouse/session.js';
import { warehouseStatus } from '../../warehouse/status.js';

async function withSession<T>(url: string, fn: (session: PgSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const session = new PgSession(url, { reconnectForMs: 60_000, ...(signal ? { signal } : {}) });
  try {
    await session.connect().catch((error: unknown) => {
      throw new RidehailError(`cannot connect to Postgres at ${redact(url)}: ${(error as Error).message}`, {
        cause: error,
        hint: 'start the local stack with `ridehail local up`, or pass --database-url / DATABASE_URL',
      });
    });
    return await fn(session);
  } finally {
    await session.close();
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withSession(url, (session) => session.run(fn));
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

const fmt = (n: number): string => n.toLocaleString('en-US');

export function warehouseCommand(ctx: CliContext): Command {
  const warehouse = new Command('warehouse').description('the Postgres warehouse: migrate it, load events into it exactly once, refresh its marts');

  warehouse
    .command('migrate')
    .description('apply pending schema migrations (forward-only, each once, in order)')
    .option('--status', 'list applied and pending migrations instead of applying them')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Migrations live in src/warehouse/migrations/NNNN_name.sql. An applied migration whose file was
edited since is refused: add a new migration instead.

Examples:
  $ ridehail warehouse migrate
  $ ridehail warehouse migrate --status
  $ ridehail warehouse migrate --database-url postgres://user:pw@db:5432/ridehail`,
    )
    .action(async (opts: { status?: boolean }, command: Command) => {
      const { config } = ctx.config(command);
      const out = ctx.output(command);
      const known = loadMigrations();
      await withClient(effectiveDatabaseUrl(config), async (client) => {
        if (opts.status) {
          const status = await migrationStatus(client, known);
          if (out.jsonMode) return out.json(status);
          out.table([
            ...status.applied.map((a) => ({
              version: String(a.version).padStart(4, '0'), name: a.name,
              state: status.modified.some((m) => m.version === a.version) ? 'applied, EDITED SINCE' : status.unknown.includes(a) ? 'applied, unknown to this build' : 'applied',
              applied_at: a.appliedAt.toISOString(),
            })),
            ...status.pending.map((p) => ({ version: String(p.version).padStart(4, '0'), name: p.name, state: 'pending', applied_at: '' })),
          ]);
          return;
        }
        const applied = await migrate(client, known, { onApplied: (m, ms) => out.jsonMode || out.success(`applied ${String(m.version).padStart(4, '0')}_${m.name} (${ms} ms)`) });
        if (out.jsonMode) return out.json({ applied: applied.map((m) => ({ version: m.version, name: m.name })) });
        if (applied.length === 0) out.info('warehouse schema is up to date');
      });
    });

  warehouse
    .command('load')
    .description('load events into the warehouse exactly once, from Kafka or from a JSON Lines file')
    .option('--from <source>', '"kafka", or a file written by `ridehail generate --out`', 'kafka')
    .option('--batch-size <n>', 'records per transaction', positiveInt, DEFAULT_BATCH_SIZE)
    .option('--group <id>', 'Kafka consumer group (offsets are kept in Postgres, not in the group)', DEFAULT_GROUP)
    .option('--follow', 'keep loading as events arrive, until Ctrl-C (Kafka only)')
    .option('--idle-timeout <duration>', 'without --follow: stop after this long with no new records', durationMs, 10_000)
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Each batch is one transaction holding its rows and the source offsets they came from, so a load
that is killed, or whose Postgres restarts, resumes where the last commit left off: nothing is
lost and nothing is loaded twice. A file's offsets are its sha256 and line numbers: loading the
same file again loads nothing. Personal data is hashed (key: RIDEHAIL_PII_SALT) and masked
before it is written.

Examples:
  $ ridehail warehouse load                       load what Kafka holds now, then stop
  $ ridehail warehouse load --follow              keep loading until Ctrl-C
  $ ridehail warehouse load --from day.jsonl      load a file written by generate --out
  $ RIDEHAIL_PII_SALT=... ridehail warehouse load --json`,
    )
    .action(async (opts: { from: string; batchSize: number; group: string; follow?: boolean; idleTimeout: number }, command: Command) => {
      const { config } = ctx.config(command);
      const out = ctx.output(command);
      const fromKafka = opts.from === 'kafka';
      if (opts.follow && !fromKafka) throw new UsageError('--follow applies to --from kafka only');
      const { salt, isDefault } = piiSalt();
      if (isDefault) out.warn('RIDEHAIL_PII_SALT is not set: personal data is hashed with the development salt');
      const signal = ctx.shutdownSignal();
      const spinner = out.spinner(fromKafka ? 'loading from Kafka…' : `loading ${opts.from}…`);
      const onBatch = (p: LoadProgress): void =>
        spinner.update(`${p.source}: ${fmt(p.totals.rows)} rows in ${fmt(p.totals.batches)} batches${p.totals.rejected ? `, ${fmt(p.totals.rejected)} rejected` : ''}`);
      let summary: LoadSummary;
      try {
        summary = await withSession(
          effectiveDatabaseUrl(config),
          async (session) => {
            await session.run((c) => assertMigrated(c));
            const common = { salt, batchSize: opts.batchSize, onBatch, signal };
            if (!fromKafka) return loadFile(session, opts.from, common);
            const kafka = createKafka(config.kafka, { clientId: `${config.kafka.clientId}-warehouse` });
            return loadKafka(session, kafka, { ...common, groupId: opts.group, follow: Boolean(opts.follow), idleMs: opts.idleTimeout, onWarning: (m) => out.warn(m) });
          },
          signal,
        );
      } catch (error) {
        spinner.fail('load failed');
        if (isConnectionError(error)) throw new RidehailError(`lost Postgres: ${(error as Error).message}`, { cause: error });
        throw error;
      }
      const line = `${summary.source}: loaded ${fmt(summary.rows)} rows in ${fmt(summary.batches)} batches (${fmt(summary.rowsPerSecond)} rows/s)` +
        `${summary.rejected ? `, ${fmt(summary.rejected)} rejected (see ridehail.load_rejects)` : ''}` +
        `${summary.alreadyLoaded ? `, ${fmt(summary.alreadyLoaded)} already loaded` : ''}`;
      spinner.succeed(line);
      if (out.jsonMode) out.json(summary);
    });

  warehouse
    .command('refresh')
    .description('rebuild the marts (hourly city KPIs, daily driver earnings, cancellation reasons)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ ridehail warehouse refresh\n  $ ridehail warehouse refresh --json')
    .action(async (_opts, command: Command) => {
      const { config } = ctx.config(command);
      const out = ctx.output(command);
      const results = await withClient(effectiveDatabaseUrl(config), async (client) => {
        await assertMigrated(client);
        return refreshMarts(client);
      });
      if (out.jsonMode) return out.json(results);
      out.table(results.map((r) => ({ mart: r.mart, rows: fmt(r.rows), ms: r.ms })));
    });

  warehouse
    .command('status')
    .description('row counts, the last loaded offsets and event time, and the lag behind Kafka')
    .option('--no-kafka', 'skip the lag (do not contact Kafka)')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExamples:\n  $ ridehail warehouse status\n  $ ridehail warehouse status --no-kafka --json')
    .action(async (opts: { kafka: boolean }, command: Command) => {
      const { config } = ctx.config(command);
      const out = ctx.output(command);
      const kafka = opts.kafka ? createKafka(config.kafka, { clientId: `${config.kafka.clientId}-warehouse`, retries: 1 }) : undefined;
      const status = await withClient(effectiveDatabaseUrl(config), async (client) => {
        await assertMigrated(client);
        return warehouseStatus(client, kafka);
      });
      if (out.jsonMode) return out.json(status);
      out.table(status.tables.map((t) => ({ table: t.table, rows: fmt(t.rows) })));
      out.info('');
      out.table(
        status.offsets.map((o) => {
          const lag = status.lag?.find((l) => o.origin === 'kafka' && l.topic === o.stream && l.partition === o.partition);
          return {
            source: o.origin === 'file' ? `file ${status.files.find((f) => f.sha256 === o.stream)?.path ?? o.stream.slice(0, 12)}` : o.stream,
            partition: o.partition, next_offset: fmt(o.nextOffset), records: fmt(o.recordsLoaded),
            last_event_time: o.lastEventTime?.toISOString() ?? '', lag: lag ? fmt(lag.lag) : '',
          };
        }),
      );
      out.info(`last event time loaded: ${status.lastEventTime?.toISOString() ?? 'none'}`);
      if (status.pendingBatches > 0) out.info(`batches staged, not yet transformed: ${fmt(status.pendingBatches)} (a load is running, or run \`ridehail warehouse refresh\`)`);
      if (status.totalLag !== undefined) out.info(`lag behind Kafka: ${fmt(status.totalLag)} records`);
      if (status.lagError) out.warn(`lag unknown: ${status.lagError}`);
    });

  warehouse
    .command('check')
    .argument('[names...]', 'checks to run (default: all)')
    .description("run the warehouse's invariants (assert_*); exits 1 if any fails")
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExamples:\n  $ ridehail warehouse check\n  $ ridehail warehouse check assert_one_current_row_per_driver --json')
    .action(async (names: string[], _opts, command: Command) => {
      const { config } = ctx.config(command);
      const out = ctx.output(command);
      const results = await withClient(effectiveDatabaseUrl(config), async (client) => {
        await assertMigrated(client);
        const unknown = names.filter((n) => !CHECKS.some((c) => c.name === n));
        if (unknown.length > 0) throw new UsageError(`no such check: ${unknown.join(', ')} (known: ${CHECKS.map((c) => c.name).join(', ')})`);
        return runChecks(client, names);
      });
      if (out.jsonMode) out.json(results);
      else out.table(results.map((r) => ({ check: r.name, result: r.passed ? 'pass' : `FAIL (${r.failures})`, description: r.description })));
      const failed = results.filter((r) => !r.passed);
      if (failed.length > 0) throw new RidehailError(`${failed.length} warehouse check(s) failed: ${failed.map((f) => f.name).join(', ')}`);
    });

  return warehouse;
}
