import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { durationMs, positiveInt } from '../parse.js';
import { RidehailError, UsageError } from '../errors.js';
import { createKafka } from '../../kafka/client.js';
import { BUILT_IN_CITIES, CityConfigError, parseCityConfigs } from '../../generate/cities.js';
import { EnrichJob, MissingTopicsError, type EnrichStatus } from '../../enrich/job.js';
import { DEFAULT_GROUP, defaultSettings, defaultTopics } from '../../enrich/settings.js';
import { timeZoneLookup } from '../../enrich/time-zones.js';
import { formatCounters } from '../../enrich/accounting.js';

function duration(flags: string, description: string, defaultMs: number, shown: string): Option {
  return new Option(flags, description).argParser(durationMs).default(defaultMs, shown);
}

function durationOrZero(raw: string): number {
  return raw.trim() === '0' ? 0 : durationMs(raw);
}

interface EnrichOptions {
  group: string;
  window: number;
  allowedLateness: number;
  idleTimeout: number;
  maxFuture: number;
  rideTimeout: number;
  dedupeCapacity: number;
  transactions: boolean;
  transactionTimeout: number;
  concurrency: number;
  fetchBytes: number;
  commitInterval: number;
  stopWhenIdle?: number;
  topicPrefix: string;
  json?: boolean;
}

/** Well below the broker's default transaction.max.timeout.ms (15 min), above any sane batch. */
const DEFAULT_TRANSACTION_TIMEOUT = '60s';

export function enrichCommand(ctx: CliContext): Command {
  return new Command('enrich')
    .description('clean, deduplicate, join and aggregate the event streams, exactly once (Kafka transactions)')
    .option('-g, --group <id>', 'consumer group; also names the internal topics and transactional ids', DEFAULT_GROUP)
    .addOption(duration('-w, --window <duration>', 'event-time tumbling window of the metrics', 60_000, '1m'))
    .addOption(duration('-l, --allowed-lateness <duration>', 'how far the watermark trails the newest event time; later events go to events_late', 30_000, '30s'))
    .addOption(duration('--idle-timeout <duration>', 'a caught-up partition quiet this long lets its clock run with wall time (so windows still close)', 10_000, '10s'))
    .addOption(duration('--max-future <duration>', "an event_time further ahead of this machine's clock is refused to the DLQ (raise it for `generate --speed`)", 86_400_000, '1d'))
    .addOption(duration('--ride-timeout <duration>', 'an open ride with no step for this long (event time) is given up and counted as expired', 6 * 3_600_000, '6h'))
    .option('--dedupe-capacity <n>', 'most event ids remembered per partition for duplicate detection', positiveInt, 1_000_000)
    .option('--no-transactions', 'at-least-once instead of exactly-once: faster, but a crash can duplicate outputs')
    .addOption(duration('--transaction-timeout <duration>', "producer transaction timeout; keep it below the broker's transaction.max.timeout.ms", durationMs(DEFAULT_TRANSACTION_TIMEOUT), DEFAULT_TRANSACTION_TIMEOUT))
    .option('-c, --concurrency <n>', 'partitions processed at the same time, each in its own transaction', positiveInt, 4)
    .addOption(new Option('--fetch-bytes <n>', 'most bytes fetched per partition at once: bounds a batch, hence a transaction').argParser(positiveInt).default(1_048_576, '1 MiB'))
    .addOption(new Option('--commit-interval <duration>', 'batches processed within this time share one transaction (0: one per batch); outputs wait as long').argParser(durationOrZero).default(0))
    .addOption(new Option('--stop-when-idle <duration>', 'exit once no input has arrived for this long (backfills, tests)').argParser(durationMs))
    .option('--topic-prefix <prefix>', 'prefix of every topic read and written: an isolated pipeline on a shared cluster', '')
    .option('--json', 'print the final summary as JSON')
    .addHelpText(
      'after',
      `
Reads ride_events, vehicle_events and user_events and writes:
  enriched_rides         one record per finished ride (key ride_id)
  ride_metrics_1m        per city and event-time window (key city|window_start)
  ride_metrics_zone_1m   per H3 zone and window (key city|zone|window_start)
  events_dlq             refused records, original bytes, reason in header dlq.reason
  events_late            events whose window was already final, original bytes

A window is first written when event time passes its end and re-written (same key,
revision + 1) for each late event within --allowed-lateness. State (open rides, windows,
recent event ids) is checkpointed to <group>-changelog in the same transaction as the
outputs and offsets, so a killed process resumes exactly where it committed.
Run several processes with the same --group to share the partitions.

Examples:
  $ ridehail enrich
  $ ridehail enrich --window 5m --allowed-lateness 2m
  $ ridehail enrich --group backfill-2026-01 --stop-when-idle 30s --json
  $ ridehail enrich --no-transactions      faster, at-least-once`,
    )
    .action(async (opts: EnrichOptions, command: Command) => {
      const { config } = ctx.config(command);
      const out = ctx.output(command);
      const signal = ctx.shutdownSignal();
      if (opts.window < 1_000) throw new UsageError('--window must be at least 1s');

      let cities;
      try {
        cities = [...BUILT_IN_CITIES, ...parseCityConfigs(config.cities)];
      } catch (error) {
        if (error instanceof CityConfigError) throw new UsageError(error.message);
        throw error;
      }
      const settings = defaultSettings({
        windowMs: opts.window,
        allowedLatenessMs: opts.allowedLateness,
        idleTimeoutMs: opts.idleTimeout,
        maxFutureMs: opts.maxFuture,
        rideTimeoutMs: opts.rideTimeout,
        dedupeCapacity: opts.dedupeCapacity,
        topics: defaultTopics(opts.group, opts.topicPrefix),
      });
      const errors = new Map<string, number>();
      const kafka = createKafka(config.kafka, { clientId: `${config.kafka.clientId}-enrich` });
      let job: EnrichJob;
      try {
        job = await EnrichJob.prepare({
          kafka,
          group: opts.group,
          settings,
          transactional: opts.transactions,
          transactionTimeoutMs: opts.transactionTimeout,
          concurrency: opts.concurrency,
          maxBytesPerPartition: opts.fetchBytes,
          tickMs: 500,
          commitIntervalMs: opts.commitInterval,
          timeZoneOf: timeZoneLookup(cities),
          onError: (error) => {
            const message = error instanceof Error ? error.message : String(error);
            const seen = errors.get(message) ?? 0;
            errors.set(message, seen + 1);
            // Transient broker errors repeat; say each once, the count goes in the summary.
            if (seen === 0) out.warn(`${message} (retrying; state is re-read from the changelog)`);
          },
        });
      } catch (error) {
        if (error instanceof MissingTopicsError) {
          throw new RidehailError(error.message, { hint: 'create them with `ridehail topics create` (and fill them with `ridehail generate`)' });
        }
        throw error;
      }

      if (!opts.transactions) out.warn('--no-transactions: outputs are at-least-once; a crash can write some records twice');
      if (!out.jsonMode) {
        out.info(
          `enrich: group ${opts.group}, ${opts.window / 1000}s windows, ${opts.allowedLateness / 1000}s allowed lateness, ` +
            `${opts.transactions ? 'exactly-once (transactions)' : 'at-least-once'}`,
        );
      }

      const stopper = new AbortController();
      const stop = (): void => stopper.abort();
      signal.addEventListener('abort', stop, { once: true });
      const startedAt = Date.now();
      let previousIn = 0;
      let previousAt = startedAt;
      const timer = setInterval(() => {
        const now = Date.now();
        const status = job.status();
        const rate = ((job.recordsIn - previousIn) * 1000) / Math.max(1, now - previousAt);
        previousIn = job.recordsIn;
        previousAt = now;
        out.live(liveLine(status, rate, out));
        if (opts.stopWhenIdle !== undefined) {
          // Idle counts from the last batch or restore: after a crash, rejoining the group waits for
          // the dead member's session to expire, and that wait is not idleness.
          const activity = job.lastActivityAtMs;
          const idleFor = now - (activity ?? startedAt);
          if (idleFor >= opts.stopWhenIdle && (activity !== null || now - startedAt >= 3 * opts.stopWhenIdle)) stop();
        }
      }, 1_000);
      try {
        await job.run(stopper.signal);
      } finally {
        clearInterval(timer);
        signal.removeEventListener('abort', stop);
        out.endLive();
      }
      printSummary(out, job.status(), (Date.now() - startedAt) / 1000, errors);
    });
}

function liveLine(s: EnrichStatus, rate: number, out: Output): string {
  const c = s.counters;
  const wm = s.watermark ? s.watermark.slice(11, 19) : '–';
  return (
    `${out.color.cyan('enrich')} in ${c.consumed} (${Math.round(rate)}/s) · enriched ${c.enriched} · dlq ${c.dlq} · dup ${c.duplicates} · ` +
    `late ${c.late} · open rides ${s.openRides} · watermark ${wm} · windows ${s.windows.windowsEmitted}` +
    (s.windows.corrections > 0 ? ` (+${s.windows.corrections} corrections)` : '')
  );
}

function printSummary(out: Output, s: EnrichStatus, seconds: number, errors: Map<string, number>): void {
  if (out.jsonMode) {
    out.json({ ...s, seconds, errors: Object.fromEntries(errors) });
    return;
  }
  out.info(formatCounters(s.counters));
  out.info(
    `${s.openRides} rides open · ${s.eventIdsRemembered} event ids remembered · watermark ${s.watermark ?? '–'} · ` +
      `${s.windows.windowsEmitted} windows written, ${s.windows.corrections} corrected, ${s.windows.open} still open`,
  );
  const written = Object.entries(s.written).filter(([topic]) => !/-(window-partials|changelog)$/.test(topic));
  if (written.length > 0) out.info(`written: ${written.map(([topic, n]) => `${topic} ${n}`).join(', ')}`);
  out.info(`${s.transactions} ${s.transactional ? 'transactions' : 'commits (no transactions)'} in ${seconds.toFixed(1)} s`);
  if (s.windows.partialsTooLate > 0) out.warn(`${s.windows.partialsTooLate} window partials arrived after their window was purged`);
  if (s.unaccounted !== 0) out.warn(`the books do not balance: ${s.unaccounted} records unaccounted for`);
  for (const [message, count] of errors) out.warn(`${count}× ${message}`);
}
