import type { City } from './cities.js';
import { EventTimeClock, systemClock, type Clock } from './clock.js';
import { FaultInjector } from './faults.js';
import { ManifestWriter, RunTally, type Manifest } from './manifest.js';
import { RateLimiter } from './rate-limiter.js';
import { runGenerator, type Pacing, type RunProgress, type StopReason } from './runner.js';
import { DEFAULT_PING_INTERVAL_MS } from './scale.js';
import { Simulation } from './simulation.js';
import type { EventSink } from './sinks.js';

/**
 * `ridehail generate` without the command line: simulation → faults → sink, a manifest at the
 * end. The sink is a parameter (Kafka, a file, memory in tests), and so is the clock.
 */

/** City scale used by `--rate max`, which only removes pacing. */
export const MAX_RATE_SCALE = 1_000;
/** In wall-clock mode, catching up after a stall is capped at this multiple of the target rate. */
const CATCH_UP_FACTOR = 3;

export interface GenerateParams {
  cities: readonly City[];
  seed: string;
  clock: 'wall' | 'sim';
  /** Event time of the start. */
  startMs: number;
  /** Target events per second of event time, or 'max' for no pacing. */
  rate: number | 'max';
  /** Wall clock only: event time runs this many times faster than the wall clock. */
  speed: number;
  count?: number;
  durationMs?: number;
  pingIntervalMs?: number;
  invalidRate: number;
  duplicateRate: number;
  lateRate: number;
  lateByMs: number;
  manifestPath?: string;
  /** Where records go, for the manifest (a path, "stdout", "kafka host:port"). */
  destination: string;
}

export interface GenerateSummary {
  stopped_by: StopReason;
  events: number;
  records: number;
  by_topic: Record<string, number>;
  faults: { invalid: number; duplicate: number; late: number };
  wall_seconds: number;
  records_per_second: number;
  event_time: { first: string | null; last: string | null };
  /** Clean events per second of event time, over the run. */
  event_time_rate: number | null;
  target_rate: number | 'max';
  seed: string;
  clock: 'wall' | 'sim';
  destination: string;
  manifest: string | null;
}

export interface GenerateDependencies {
  clock?: Clock;
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
}

export async function generate(params: GenerateParams, sink: EventSink, deps: GenerateDependencies = {}): Promise<GenerateSummary> {
  const clock = deps.clock ?? systemClock;
  const scaleRate = params.rate === 'max' ? MAX_RATE_SCALE : params.rate;
  const source = new Simulation({
    cities: params.cities,
    seed: params.seed,
    startMs: params.startMs,
    eventsPerSecond: scaleRate,
    pingIntervalMs: params.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
  });
  const tally = new RunTally(params.cities);
  const manifest = params.manifestPath ? new ManifestWriter(params.manifestPath) : undefined;
  const injector = new FaultInjector(
    { invalidRate: params.invalidRate, duplicateRate: params.duplicateRate, lateRate: params.lateRate, lateByMs: params.lateByMs, seed: params.seed },
    (fault) => manifest?.fault(fault),
  );
  let pacing: Pacing = { kind: 'none' };
  if (params.clock === 'wall' && params.rate !== 'max') {
    const wallRate = params.rate * params.speed;
    pacing = {
      kind: 'wall',
      clock: new EventTimeClock(clock, params.startMs, params.speed),
      limiter: new RateLimiter(wallRate * CATCH_UP_FACTOR, clock, Math.max(100, wallRate)),
    };
  }

  const wallStart = clock.now();
  const result = await runGenerator({
    source,
    sink,
    tally,
    pacing,
    ...(injector.active ? { faults: injector } : {}),
    ...(params.count !== undefined ? { maxEvents: params.count } : {}),
    ...(params.durationMs !== undefined ? { endMs: params.startMs + params.durationMs } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
  });
  const wallSeconds = (clock.now() - wallStart) / 1000;

  const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
  const totals = tally.totals();
  if (manifest) {
    const body: Omit<Manifest, 'faults'> = {
      manifest_version: 1,
      parameters: {
        clock: params.clock,
        start: new Date(params.startMs).toISOString(),
        rate: params.rate,
        speed: params.speed,
        seed: params.seed,
        cities: params.cities.map((c) => c.code),
        count: params.count ?? null,
        duration_ms: params.durationMs ?? null,
        ping_interval_ms: params.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
        invalid_rate: params.invalidRate,
        duplicate_rate: params.duplicateRate,
        late_rate: params.lateRate,
        late_by_ms: params.lateByMs,
        destination: params.destination,
      },
      stopped_by: result.stoppedBy,
      event_time: { first: iso(tally.firstMs), last: iso(tally.lastMs) },
      totals,
      cities: tally.cityTotals(),
    };
    await manifest.finish(body);
  }
  const spanS = tally.firstMs !== undefined && tally.lastMs !== undefined ? (tally.lastMs - params.startMs) / 1000 : 0;
  return {
    stopped_by: result.stoppedBy,
    events: result.events,
    records: result.records,
    by_topic: Object.fromEntries(Object.entries(totals.by_topic).map(([topic, t]) => [topic, t.events])),
    faults: { ...injector.counts },
    wall_seconds: Math.round(wallSeconds * 1000) / 1000,
    records_per_second: wallSeconds > 0 ? Math.round(result.records / wallSeconds) : 0,
    event_time: { first: iso(tally.firstMs), last: iso(tally.lastMs) },
    // Four significant digits: one decimal place would show a month at 0.05 ev/s as 0.1.
    event_time_rate: spanS > 0 ? Number((result.events / spanS).toPrecision(4)) : null,
    target_rate: params.rate,
    seed: params.seed,
    clock: params.clock,
    destination: params.destination,
    manifest: params.manifestPath ?? null,
  };
}
