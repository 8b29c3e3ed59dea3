import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The stages run in their own process groups, so a demo killed with SIGKILL leaves them running.
 * Their pids are kept in a file next to the stack, and the next demo stops them before starting
 * its own (which would otherwise fight them for the dashboard port and the consumer groups).
 */
export interface DemoPids {
  readonly demoPid: number;
  readonly stages: readonly { readonly name: string; readonly pid: number }[];
}

export function writeDemoPids(file: string, pids: DemoPids): void {
  writeFileSync(file, `${JSON.stringify(pids, null, 2)}\n`);
}

export function removeDemoPids(file: string): void {
  rmSync(file, { force: true });
}

function readDemoPids(file: string): DemoPids | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as DemoPids;
    return Array.isArray(parsed.stages) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A pid is only ours if the process still runs ridehail: pids are reused. */
function isRidehailProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ridehail');
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses when another demo is still running on this stack; otherwise stops the stages a dead
 * demo left behind and returns their names.
 */
export async function stopLeftoverStages(file: string): Promise<{ stopped: string[]; runningDemoPid?: number }> {
  const previous = readDemoPids(file);
  if (previous === undefined) return { stopped: [] };
  if (previous.demoPid !== process.pid && alive(previous.demoPid) && isRidehailProcess(previous.demoPid)) {
    return { stopped: [], runningDemoPid: previous.demoPid };
  }
  const leftovers = previous.stages.filter((s) => alive(s.pid) && isRidehailProcess(s.pid));
  for (const stage of leftovers) {
    try {
      process.kill(-stage.pid, 'SIGTERM');
    } catch {
      // Gone between the check and the signal.
    }
  }
  const deadline = Date.now() + 20_000;
  while (leftovers.some((s) => alive(s.pid)) && Date.now() < deadline) await sleep(200);
  for (const stage of leftovers.filter((s) => alive(s.pid))) {
    try {
      process.kill(-stage.pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  removeDemoPids(file);
  return { stopped: leftovers.map((s) => s.name) };
}
