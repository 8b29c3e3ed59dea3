import type { EventTimeClock } from './clock.js';
import type { FaultInjector, StreamRecord } from './faults.js';
import type { RunTally } from './manifest.js';
import type { RateLimiter } from './rate-limiter.js';
import { serializeEvent, type OutRecord } from './records.js';
import type { EventSink } from './sinks.js';
import type { EventSource, SimEvent, SimulationStatus } from './simulation.js';

/**
 * Wires a source of events to a sink, in the manner of flink-training's jobs: the job is the
 * wiring, and the source and sink are parameters, so tests run the same job into memory.
 * source → (count/duration limits) → tally → serialise → fault injection → sink.
 */

export type Pacing =
  /** As fast as the sink takes records: backfills (`--clock sim`) and `--rate max`. */
  | { kind: 'none' }
  /**
   * Release each event when the clock reaches its event time; `limiter`, if given, caps the
   * release rate so that catching up after a stall never becomes a flood.
   */
  | { kind: 'wall'; clock: EventTimeClock; limiter?: RateLimiter };

export type StopReason = 'count' | 'duration' | 'signal' | 'end';

export interface RunProgress {
  events: number;
  records: number;
  /** Clean events so far, per topic. */
  byTopic: Record<string, number>;
  /** Event time of the latest event released. */
  eventTimeMs: number | undefined;
  status: SimulationStatus;
}

export interface RunnerOptions {
  source: EventSource;
  sink: EventSink;
  tally: RunTally;
  pacing: Pacing;
  faults?: FaultInjector;
  /** Stop after this many (clean) events. */
  maxEvents?: number;
  /** Stop before events at or after this event time. */
  endMs?: number;
  signal?: AbortSignal;
  /** Events pulled from the source per step. */
  batchSize?: number;
  onProgress?: (progress: RunProgress) => void;
}

export interface RunResult {
  stoppedBy: StopReason;
  events: number;
  records: number;
}

/** Longest sleep while pacing, so a signal or the live line is never waited on for long. */
const MAX_IDLE_MS = 200;

export async function runGenerator(options: RunnerOptions): Promise<RunResult> {
  const { source, sink, tally, pacing, faults, signal } = options;
  const batchSize = options.batchSize ?? 2_000;
  const endMs = options.endMs ?? Infinity;
  const maxEvents = options.maxEvents ?? Infinity;
  const events: SimEvent[] = [];
  let out: OutRecord[];
  let stoppedBy: StopReason | undefined;

  while (stoppedBy === undefined) {
    if (signal?.aborted) {
      stoppedBy = 'signal';
      break;
    }
    const remaining = maxEvents - tally.events;
    if (remaining <= 0) {
      stoppedBy = 'count';
      break;
    }
    const next = source.nextTime();
    if (next >= endMs) {
      stoppedBy = next === Infinity ? 'end' : 'duration';
      break;
    }

    let until = endMs - 1;
    if (pacing.kind === 'wall') {
      const now = pacing.clock.now();
      if (next > now) {
        await pacing.clock.sleepWall(Math.min(MAX_IDLE_MS, pacing.clock.wallDelayUntil(next)), signal);
        continue;
      }
      until = Math.min(until, now);
    }

    events.length = 0;
    source.advance(until, events, Math.min(batchSize, remaining));
    // A step may add a few events beyond the batch; the count limit is exact.
    if (events.length > remaining) events.length = remaining;
    if (pacing.kind === 'wall' && pacing.limiter) await pacing.limiter.take(events.length, signal);

    out = [];
    for (const event of events) {
      tally.observe(event);
      const record: StreamRecord = {
        topic: event.topic,
        key: event.key,
        value: serializeEvent(event.value),
        json: true,
        timeMs: event.timeMs,
        eventId: event.value.event_id,
      };
      if (faults) faults.push(record, out);
      else out.push(record);
    }
    tally.records += out.length;
    await sink.write(out);
    if (options.onProgress) options.onProgress(progressOf(tally, source));
  }

  if (faults) {
    out = [];
    faults.drain(out);
    tally.records += out.length;
    await sink.write(out);
  }
  await sink.flush();
  if (options.onProgress) options.onProgress(progressOf(tally, source));
  return { stoppedBy, events: tally.events, records: tally.records };
}

function progressOf(tally: RunTally, source: EventSource): RunProgress {
  const byTopic: Record<string, number> = {};
  for (const [topic, totals] of tally.byTopic) byTopic[topic] = totals.events;
  return { events: tally.events, records: tally.records, byTopic, eventTimeMs: tally.lastMs, status: source.status() };
}
