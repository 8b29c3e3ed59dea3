import { parentPort, workerData } from 'node:worker_threads';
import type { RunProgress } from './runner.js';
import { executeJob, JobError, PROGRESS_EVERY_MS, type JobSpec, type WorkerMessage } from './threaded-job.js';

/** Entry of the generator's thread (see threaded-job.ts); started by runJob. */

if (!parentPort) throw new Error('generate-worker.js runs as a worker thread of runJob');
const port = parentPort;
const post = (message: WorkerMessage): void => port.postMessage(message);
const stop = new AbortController();
port.on('message', (message: { type: string }) => {
  if (message.type === 'stop') stop.abort('signal');
});

let lastProgress = 0;
executeJob(
  workerData as JobSpec,
  {
    onConnectRetry: (attempt, attempts, delayMs, message) => post({ type: 'retry', attempt, attempts, delayMs, message }),
    onConnected: (created) => post({ type: 'connected', created }),
    onProgress: (progress: RunProgress) => {
      const now = Date.now();
      if (now - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = now;
      post({ type: 'progress', progress });
    },
  },
  stop.signal,
).then(
  (summary) => post({ type: 'done', summary }),
  (error: unknown) => {
    const e = error instanceof JobError ? error : new JobError((error as Error).name ?? 'Error', (error as Error).message ?? String(error), 'run', (error as Error).stack);
    post({ type: 'failed', kind: e.kind, message: e.message, phase: e.phase, ...(e.stack !== undefined ? { stack: e.stack } : {}) });
  },
);
