import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KafkaSettings } from '../config/config.js';
import { SOURCE_TOPICS } from '../contract/topics.js';
import { generate, type GenerateParams, type GenerateSummary } from './job.js';
import type { RunProgress } from './runner.js';
import { JsonLinesSink, KafkaSink, type EventSink } from './sinks.js';

/**
 * `ridehail generate`'s job (sink included) on a thread of its own, so that the command's thread
 * keeps only the terminal, the signals and the live line. The reason is the heap: the simulation
 * allocates a few short-lived objects per event, and with V8's default young generation a third of
 * its time went to scavenges; a worker can be given a larger one (measured: the simulation alone
 * ~30% faster), the main thread cannot once Node has started. Inline where the worker script is
 * not there (sources run by the test runner) and for stdout, which a worker only reaches through
 * the main thread.
 */

export type SinkSpec =
  | { kind: 'kafka'; settings: KafkaSettings; clientId?: string }
  | { kind: 'file'; path: string }
  | { kind: 'stdout' };

export interface JobSpec {
  params: GenerateParams;
  sink: SinkSpec;
}

export interface JobEvents {
  onConnectRetry?: (attempt: number, attempts: number, delayMs: number, message: string) => void;
  /** Kafka is reachable; `created` are the topics that had to be created. */
  onConnected?: (created: string[]) => void;
  onProgress?: (progress: RunProgress) => void;
}

/** An error of the job, with where it happened: connecting to the sink, or running. */
export class JobError extends Error {
  constructor(readonly kind: string, message: string, readonly phase: 'connect' | 'run', stack?: string) {
    super(message);
    this.name = kind;
    if (stack !== undefined) this.stack = stack;
  }
}

function asJobError(error: unknown, phase: 'connect' | 'run'): JobError {
  if (error instanceof JobError) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  return new JobError(e.name, e.message, phase, e.stack);
}

/** The job itself, on whichever thread calls it. */
export async function executeJob(spec: JobSpec, events: JobEvents, signal: AbortSignal): Promise<GenerateSummary> {
  let sink: EventSink;
  if (spec.sink.kind === 'kafka') {
    try {
      const kafka = await KafkaSink.connect(spec.sink.settings, {
        signal,
        ...(spec.sink.clientId ? { clientId: spec.sink.clientId } : {}),
        onConnectRetry: (attempt, attempts, delayMs, error) => events.onConnectRetry?.(attempt, attempts, delayMs, error.message),
      });
      try {
        events.onConnected?.(await kafka.ensureTopics(SOURCE_TOPICS.map((t) => t.name)));
      } catch (error) {
        await kafka.close().catch(() => undefined);
        throw error;
      }
      sink = kafka;
    } catch (error) {
      throw asJobError(error, 'connect');
    }
  } else {
    sink = spec.sink.kind === 'file' ? JsonLinesSink.toFile(spec.sink.path) : JsonLinesSink.toStdout();
  }
  try {
    const summary = await generate(spec.params, sink, { signal, ...(events.onProgress ? { onProgress: events.onProgress } : {}) });
    await sink.close();
    return summary;
  } catch (error) {
    await sink.close().catch(() => undefined);
    throw asJobError(error, 'run');
  }
}

const WORKER_SCRIPT = new URL('./generate-worker.js', import.meta.url);
/** Three semispaces' worth: the --max-semi-space-size=64 that measured best for the simulation. */
const YOUNG_GENERATION_MB = 192;
/** The live line refreshes once a second; progress crosses threads no more often than this. */
export const PROGRESS_EVERY_MS = 250;

export type WorkerMessage =
  | { type: 'retry'; attempt: number; attempts: number; delayMs: number; message: string }
  | { type: 'connected'; created: string[] }
  | { type: 'progress'; progress: RunProgress }
  | { type: 'done'; summary: GenerateSummary }
  | { type: 'failed'; kind: string; message: string; phase: 'connect' | 'run'; stack?: string };

/** Runs the job on a worker thread where possible, inline otherwise; same events, same result. */
export async function runJob(spec: JobSpec, events: JobEvents, signal: AbortSignal, options: { thread?: boolean } = {}): Promise<GenerateSummary> {
  const threaded = (options.thread ?? existsSync(fileURLToPath(WORKER_SCRIPT))) && spec.sink.kind !== 'stdout';
  if (!threaded) return executeJob(spec, events, signal);

  const worker = new Worker(WORKER_SCRIPT, { workerData: spec, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
  const stop = (): void => worker.postMessage({ type: 'stop' });
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) stop();
  try {
    return await new Promise<GenerateSummary>((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'retry':
            return events.onConnectRetry?.(message.attempt, message.attempts, message.delayMs, message.message);
          case 'connected':
            return events.onConnected?.(message.created);
          case 'progress':
            return events.onProgress?.(message.progress);
          case 'done':
            return resolve(message.summary);
          case 'failed':
            return reject(new JobError(message.kind, message.message, message.phase, message.stack));
        }
      });
      worker.on('error', (error) => reject(asJobError(error, 'run')));
      worker.on('exit', (code) => reject(new JobError('Error', `the generator thread exited (code ${code}) before it finished`, 'run')));
    });
  } finally {
    signal.removeEventListener('abort', stop);
    await worker.terminate();
  }
}

