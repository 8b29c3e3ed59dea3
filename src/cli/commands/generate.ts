import { Command, InvalidArgumentError, Option } from 'commander';
import { BUILT_IN_CITIES, CityConfigError, parseCityConfigs, selectCities } from '../../generate/cities.js';
import { DEFAULT_LATE_BY_MS } from '../../generate/faults.js';
import type { GenerateParams, GenerateSummary } from '../../generate/job.js';
import { LiveStats, formatRate } from '../../generate/live-stats.js';
import { randomSeed } from '../../generate/random.js';
import { DEFAULT_PING_INTERVAL_MS } from '../../generate/scale.js';
import { JobError, runJob, type SinkSpec } from '../../generate/threaded-job.js';
import type { CliContext } from '../context.js';
import { RidehailError, UsageError } from '../errors.js';
import { createOutput, type Output } from '../output.js';
import { durationMs, fraction, isoInstant, positiveInt, positiveNumber } from '../parse.js';

interface GenerateOptions {
  rate: number | 'max';
  clock: 'wall' | 'sim';
  start?: Date;
  speed: number;
  duration?: number;
  count?: number;
  seed?: string;
  cities?: string[];
  out?: string;
  manifest?: string;
  invalidRate: number;
  duplicateRate: number;
  lateRate: number;
  lateBy: number;
  pingInterval: number;
  json?: boolean;
}

const DEFAULT_RATE = 200;

/** Milliseconds as the largest unit of --duration's syntax that states them exactly (300000 → 5m). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function rateOption(raw: string): number | 'max' {
  if (raw === 'max') return 'max';
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`"${raw}" is not a positive number or "max".`);
  return value;
}

function cityList(raw: string): string[] {
  const codes = raw.split(',').map((c) => c.trim()).filter(Boolean);
  if (codes.length === 0) throw new InvalidArgumentError('give at least one city code, e.g. nyc,lon');
  return codes;
}

const KAFKA_HINT = 'Start the local stack with `ridehail local up`, or point --brokers / KAFKA_BROKERS at a running cluster (or write to a file with --out).';

export function generateCommand(ctx: CliContext): Command {
  return new Command('generate')
    .description('simulate ridehail cities and stream their events (rides, signups and ratings, vehicle pings) into Kafka or a file')
    .addOption(new Option('--rate <n>', 'target events per second of event time; sizes the fleet and demand ("max": no pacing)').argParser(rateOption).default(DEFAULT_RATE))
    .addOption(new Option('--clock <kind>', 'wall: paced to real time; sim: simulated time, as fast as possible (backfills)').choices(['wall', 'sim']).default('wall'))
    .option('--start <iso>', 'event time of the start (default: now with --clock wall, today 00:00Z with --clock sim)', isoInstant)
    .option('--speed <n>', 'with --clock wall: run event time N times faster than the wall clock', positiveNumber, 1)
    .option('--duration <d>', 'stop after this much event time (e.g. 90s, 15m, 2h, 30d)', durationMs)
    .option('--count <n>', 'stop after N events (injected faults come on top)', positiveInt)
    .option('--seed <s>', 'seed for reproducible output: with --clock sim, equal seeds give byte-identical records')
    .option('--cities <codes>', `comma-separated city codes (default: all built-ins, ${BUILT_IN_CITIES.map((c) => c.code).join(',')}, plus the config file's "cities")`, cityList)
    .option('-o, --out <file>', 'write JSON Lines {"topic","key","value"} to FILE ("-" for stdout) instead of Kafka; replay with `ridehail produce`')
    .option('--manifest <file>', 'write a JSON manifest at the end: parameters, totals, per-city rides and revenue, every injected fault')
    .option('--invalid-rate <f>', 'fraction of records followed by a broken copy (not JSON, failing the schema, or impossible)', fraction, 0)
    .option('--duplicate-rate <f>', 'fraction of records sent twice (same bytes, same event_id), shortly apart', fraction, 0)
    .option('--late-rate <f>', 'fraction of records held back and sent late', fraction, 0)
    // Defaults are shown as durations, the form the flags take, not as the milliseconds they hold.
    .addOption(new Option('--late-by <d>', 'how far (in event time) behind the stream late records are sent').argParser(durationMs).default(DEFAULT_LATE_BY_MS, formatDuration(DEFAULT_LATE_BY_MS)))
    .addOption(new Option('--ping-interval <d>', 'how often online vehicles report their location (event time)').argParser(durationMs).default(DEFAULT_PING_INTERVAL_MS, formatDuration(DEFAULT_PING_INTERVAL_MS)))
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Cities: ${BUILT_IN_CITIES.map((c) => `${c.code} (${c.name}, ${c.currency})`).join(', ')}.
Add your own under "cities" in the config file, e.g.
  {"cities": [{"code": "ams", "name": "Amsterdam", "center": {"lat": 52.3676, "lon": 4.9041},
    "radiusKm": 10, "timeZone": "Europe/Amsterdam", "locale": "nl", "currency": "EUR",
    "rateCard": {"base": 3.0, "perKm": 1.2, "perMinute": 0.3, "minimum": 7.5}}]}
(optional: weight, avgSpeedKmh, platePattern, cashShare).

Records go to Kafka keyed by ride_id, user_id and vehicle_id, so each key's events stay in order.
Ctrl-C stops cleanly: pending records are flushed, the manifest written, a summary printed.

Examples:
  $ ridehail generate --rate 500
  $ ridehail generate --rate 200 --speed 60 --cities nyc,lon
  $ ridehail generate --clock sim --start 2026-01-05T00:00:00Z --duration 1d --seed 42 --out day.jsonl
  $ ridehail generate --clock sim --duration 30d --rate 100 --out month.jsonl
  $ ridehail generate --count 100000 --invalid-rate 0.01 --duplicate-rate 0.01 --late-rate 0.01 --manifest faults.json
  $ ridehail generate --out - --count 10 | jq .value.event_type`,
    )
    .action(async (opts: GenerateOptions, command: Command) => {
      const { config } = ctx.config(command);
      const toStdout = opts.out === '-';
      // With records on stdout, everything human (and the JSON summary) goes to stderr.
      const out: Output = toStdout ? createOutput({ json: Boolean(opts.json), stdout: process.stderr }) : ctx.output(command);
      const jsonMode = out.jsonMode || Boolean(opts.json);

      let cities;
      try {
        cities = selectCities(opts.cities, parseCityConfigs(config.cities));
      } catch (error) {
        if (error instanceof CityConfigError) throw new UsageError(error.message);
        throw error;
      }
      if (opts.invalidRate + opts.duplicateRate + opts.lateRate > 1) {
        throw new UsageError('--invalid-rate, --duplicate-rate and --late-rate add up to more than 1');
      }
      const injecting = opts.invalidRate + opts.duplicateRate + opts.lateRate > 0;
      if (injecting && !opts.manifest) out.warn('faults are injected without --manifest: nothing will record which records they are');
      if (opts.clock === 'sim' && opts.speed !== 1) out.warn('--speed applies to --clock wall only; --clock sim runs as fast as it can');
      if (opts.clock === 'sim' && opts.count === undefined && opts.duration === undefined) {
        out.warn('--clock sim without --count or --duration runs until interrupted');
      }

      const now = Date.now();
      const startMs = opts.start?.getTime() ?? (opts.clock === 'sim' ? now - (now % 86_400_000) : now);
      const seed = opts.seed ?? randomSeed();
      const signal = ctx.shutdownSignal();

      const brokers = config.kafka.brokers.join(',');
      const sinkSpec: SinkSpec = opts.out === undefined ? { kind: 'kafka', settings: config.kafka } : toStdout ? { kind: 'stdout' } : { kind: 'file', path: opts.out };
      const params: GenerateParams = {
        cities,
        seed,
        clock: opts.clock,
        startMs,
        rate: opts.rate,
        speed: opts.speed,
        ...(opts.count !== undefined ? { count: opts.count } : {}),
        ...(opts.duration !== undefined ? { durationMs: opts.duration } : {}),
        pingIntervalMs: opts.pingInterval,
        invalidRate: opts.invalidRate,
        duplicateRate: opts.duplicateRate,
        lateRate: opts.lateRate,
        lateByMs: opts.lateBy,
        ...(opts.manifest ? { manifestPath: opts.manifest } : {}),
        destination: toStdout ? 'stdout' : (opts.out ?? `kafka ${brokers}`),
      };

      const announce = (): void => {
        if (jsonMode) return;
        out.info(
          `generating ${cities.map((c) => c.code).join(',')} at ${opts.rate === 'max' ? 'max rate' : `${formatRate(opts.rate)} ev/s`} ` +
            `(${opts.clock} clock${opts.clock === 'wall' && opts.speed !== 1 ? ` ×${opts.speed}` : ''}, seed ${seed}) → ${params.destination}`,
        );
      };
      const spinner = sinkSpec.kind === 'kafka' ? out.spinner(`connecting to Kafka at ${brokers}`) : undefined;
      if (!spinner) announce();
      let connected = false;
      const live = new LiveStats(opts.rate);
      let lastLive = Date.now();
      live.line({ events: 0, records: 0, byTopic: {}, eventTimeMs: undefined, status: { timeMs: startMs, openRides: 0, driversOnline: 0, scheduled: 0, cities: [] } }, lastLive);

      let summary: GenerateSummary;
      try {
        summary = await runJob({ params, sink: sinkSpec }, {
          onConnectRetry: (attempt, attempts, delayMs, message) => {
            const text = `Kafka at ${brokers} not reachable (${message}); attempt ${attempt + 1}/${attempts} in ${delayMs / 1000}s`;
            // Without a TTY the spinner cannot be rewritten; each retry gets its own line instead.
            if (out.interactive && !jsonMode) spinner?.update(text);
            else out.warn(text);
          },
          onConnected: (created) => {
            connected = true;
            spinner?.succeed(`connected to Kafka at ${brokers}${created.length > 0 ? `; created ${created.join(', ')}` : ''}`);
            announce();
          },
          onProgress: (progress) => {
            const wall = Date.now();
            if (wall - lastLive < 1_000) return;
            lastLive = wall;
            const text = live.line(progress, wall);
            if (text && !jsonMode) out.live(text);
          },
        }, signal);
      } catch (error) {
        out.endLive();
        if (spinner && !connected) spinner.fail();
        if (error instanceof JobError) {
          if (error.kind === 'KafkaSinkError' && signal.aborted) {
            // The user stopped it while it was still trying to connect: no hint to start Kafka, and
            // the exit code of a process ended by that signal.
            const stopped = new RidehailError(error.message, { cause: error });
            stopped.exitCode = signal.reason === 'SIGTERM' ? 143 : 130;
            throw stopped;
          }
          if (error.kind === 'KafkaSinkError') throw new RidehailError(error.message, { cause: error, hint: KAFKA_HINT });
          if (error.phase === 'connect') throw new RidehailError(`cannot use Kafka at ${brokers}: ${error.message}`, { cause: error, hint: KAFKA_HINT });
        }
        throw error;
      } finally {
        out.endLive();
      }
      printSummary(out, jsonMode, summary);
    });
}

function printSummary(out: Output, jsonMode: boolean, summary: GenerateSummary): void {
  if (jsonMode) {
    out.json(summary);
    return;
  }
  const n = (value: number): string => value.toLocaleString('en-US');
  out.success(
    `${n(summary.events)} events (${n(summary.records)} records) → ${summary.destination} in ${summary.wall_seconds.toFixed(1)} s ` +
      `(${n(summary.records_per_second)} records/s); stopped by ${summary.stopped_by}`,
  );
  out.info(`  ${Object.entries(summary.by_topic).map(([topic, count]) => `${topic} ${n(count)}`).join(' · ')}`);
  if (summary.event_time.first) {
    const rate = summary.event_time_rate === null ? '' : `: ${formatRate(summary.event_time_rate)} ev/s of event time`;
    const target = summary.target_rate === 'max' ? '' : ` (target ${formatRate(summary.target_rate)})`;
    out.info(`  event time ${summary.event_time.first} → ${summary.event_time.last}${rate}${target}`);
  }
  const { invalid, duplicate, late } = summary.faults;
  if (invalid + duplicate + late > 0 || summary.manifest) {
    out.info(`  faults: ${invalid} invalid, ${duplicate} duplicate, ${late} late${summary.manifest ? ` (manifest: ${summary.manifest})` : ''}`);
  }
  out.info(`  seed ${summary.seed}`);
}
