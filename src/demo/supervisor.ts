import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StageProcessSpec {
  readonly name: string;
  /** The executable and its arguments. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** stdout and stderr both go here (appended). */
  readonly logFile: string;
}

export interface RunningStage {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
  readonly hasExited: () => boolean;
}

export type StopOutcome = 'exited' | 'killed' | 'was-not-running';

/**
 * Starts a stage as a child process in its own process group: a Ctrl-C in the terminal then
 * reaches only the demo, which stops the stages one by one in the order that loses nothing.
 * Sharing the terminal's group would deliver the same SIGINT to every stage at once, and the
 * demo's own SIGTERM right after would count as their second, forcing, signal.
 */
export function startStage(spec: StageProcessSpec): RunningStage {
  const log = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(spec.command, [...spec.args], { env: spec.env, stdio: ['ignore', log, log], detached: true });
  } finally {
    closeSync(log);
  }
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', () => {
      done = true;
      resolve('spawn-error');
    });
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
  });
  if (child.pid === undefined) {
    return { name: spec.name, pid: -1, logFile: spec.logFile, exited, hasExited: () => true };
  }
  return { name: spec.name, pid: child.pid, logFile: spec.logFile, exited, hasExited: () => done };
}

/** SIGTERM (each stage drains and commits on it), then SIGKILL after `graceMs`. */
export async function stopStage(stage: RunningStage, graceMs: number): Promise<StopOutcome> {
  if (stage.hasExited()) return 'was-not-running';
  signalGroup(stage.pid, 'SIGTERM');
  const cancelTimer = new AbortController();
  const timer = sleep(graceMs, 'timeout' as const, { signal: cancelTimer.signal }).catch(() => 'cancelled' as const);
  const outcome = await Promise.race([stage.exited.then(() => 'exited' as const), timer]);
  // A pending timer would keep the demo alive for the rest of the grace period.
  cancelTimer.abort();
  if (outcome === 'exited') return 'exited';
  signalGroup(stage.pid, 'SIGKILL');
  await stage.exited;
  return 'killed';
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the stage and anything it started.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** The last lines of a stage's log, to show why it stopped. */
export function logTail(file: string, lines = 12): string[] {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text === '' ? [] : text.split('\n').slice(-lines);
  } catch {
    return [];
  }
}
