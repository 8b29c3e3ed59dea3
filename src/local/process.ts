import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DetachedSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Run as this user/group (root only): Postgres refuses to run as root. */
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  /** Receives stdout and stderr. */
  readonly outFile: string;
  /** Start `outFile` afresh (it then describes this run only) instead of appending. */
  readonly truncate?: boolean | undefined;
  readonly pidFile: string;
}

/**
 * Starts a process that outlives us: its own session (so a Ctrl-C in the terminal that ran
 * `ridehail local up` does not reach it), output to a file, pid recorded in `pidFile`.
 */
export async function spawnDetached(spec: DetachedSpec): Promise<number> {
  await mkdir(dirname(spec.outFile), { recursive: true });
  await mkdir(dirname(spec.pidFile), { recursive: true });
  const out = await open(spec.outFile, spec.truncate === true ? 'w' : 'a');
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      uid: spec.uid,
      gid: spec.gid,
      detached: true,
      stdio: ['ignore', out.fd, out.fd],
    });
    await Promise.race([
      once(child, 'spawn'),
      once(child, 'error').then(([err]) => {
        throw err as Error;
      }),
    ]);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${spec.command} did not start`);
    child.unref();
    await writePidFile(spec.pidFile, pid);
    return pid;
  } finally {
    await out.close();
  }
}

export async function writePidFile(pidFile: string, pid: number): Promise<void> {
  await mkdir(dirname(pidFile), { recursive: true });
  // Write-then-rename: a reader never sees a half-written pid.
  const tmp = `${pidFile}.${process.pid}.tmp`;
  await writeFile(tmp, `${pid}\n`);
  await rename(tmp, pidFile);
}

/** The pid in a pid file, or undefined when the file is missing or holds no pid. */
export async function readPidFile(pidFile: string): Promise<number | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export async function removePidFile(pidFile: string): Promise<void> {
  await rm(pidFile, { force: true });
}

/** The command line of a live process (arguments joined by spaces), or undefined. */
export function commandLineOf(pid: number): string | undefined {
  if (existsSync('/proc/self/cmdline')) {
    try {
      // Empty for zombies and kernel threads, which is what we want: neither is a live server of ours.
      const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return raw === '' ? undefined : raw.split('\0').join(' ').trim();
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim() === '' ? undefined : out.trim();
  } catch {
    return undefined;
  }
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: gone. EPERM: alive but another user's, so not a process we started.
    return false;
  }
}

/**
 * Whether `pid` is alive and is the process we started. A pid file can outlive its process
 * (crash, reboot) and the pid be reused by anything; the marker (a path unique to the process,
 * e.g. its data directory) must appear in the command line.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  if (!signalable(pid)) return false;
  return commandLineOf(pid)?.includes(marker) ?? false;
}

export type PidFileState =
  | { readonly state: 'running'; readonly pid: number }
  | { readonly state: 'stopped' }
  /** A pid file whose pid is dead or belongs to another process. */
  | { readonly state: 'stale'; readonly pid: number };

export async function inspectPidFile(pidFile: string, marker: string): Promise<PidFileState> {
  const pid = await readPidFile(pidFile);
  if (pid === undefined) return { state: 'stopped' };
  return isOurProcess(pid, marker) ? { state: 'running', pid } : { state: 'stale', pid };
}

export interface StopOptions {
  /** SIGTERM for Kafka (orderly shutdown); Postgres shuts down fast on SIGINT but waits for clients on SIGTERM. */
  readonly signal?: NodeJS.Signals;
  /** How long to wait after `signal` before SIGKILL. */
  readonly timeoutMs?: number;
}

export type StopResult = 'stopped' | 'killed' | 'not-running';

async function waitUntilGone(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isOurProcess(pid, marker)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Stops our process `pid` (checked with the marker first, so a reused pid is never signalled):
 * `signal`, then SIGKILL to its whole process group (the server's children, e.g. Postgres
 * backends) if it is still there after the timeout.
 */
export async function stopProcess(pid: number, marker: string, opts: StopOptions = {}): Promise<StopResult> {
  if (!isOurProcess(pid, marker)) return 'not-running';
  try {
    process.kill(pid, opts.signal ?? 'SIGTERM');
  } catch {
    return 'not-running';
  }
  if (await waitUntilGone(pid, marker, opts.timeoutMs ?? 30_000)) return 'stopped';
  killHard(pid, marker);
  await waitUntilGone(pid, marker, 10_000);
  return 'killed';
}

/** SIGKILL our process and its process group (it leads one: it was spawned detached). */
export function killHard(pid: number, marker: string): boolean {
  if (!isOurProcess(pid, marker)) return false;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return false;
    }
  }
  return true;
}

/** The last `lines` lines of a text file ('' if missing), for error messages about a process that died. */
export async function tailFile(file: string, lines = 20): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    return buf.toString('utf8').split('\n').filter((l) => l.trim() !== '').slice(-lines).join('\n');
  } finally {
    await handle.close();
  }
}
