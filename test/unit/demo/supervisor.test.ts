import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logTail, startStage, stopStage } from '../../../src/demo/supervisor.js';
import { stopLeftoverStages, writeDemoPids } from '../../../src/demo/leftovers.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ridehail-demo-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A stand-in stage: a node process whose command line names ridehail, as the real ones do. */
function fakeStage(dir: string, script: string) {
  return startStage({
    name: 'fake',
    command: process.execPath,
    args: ['-e', script, 'ridehail-fake-stage'],
    env: process.env,
    logFile: join(dir, 'fake.log'),
  });
}

const untilLogged = async (file: string, text: string): Promise<void> => {
  for (let i = 0; i < 100; i += 1) {
    if (logTail(file, 50).some((line) => line.includes(text))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`"${text}" never appeared in ${file}`);
};

describe('the stage supervisor', () => {
  it('stops a stage that drains on SIGTERM and reports that it exited, with its output in the log', async () => {
    const dir = tempDir();
    const stage = fakeStage(dir, "process.on('SIGTERM', () => { console.log('drained'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);");
    await untilLogged(stage.logFile, 'ready');
    expect(await stopStage(stage, 5_000)).toBe('exited');
    expect(await stage.exited).toBe(0);
    expect(readFileSync(stage.logFile, 'utf8')).toContain('drained');
  });

  it('kills a stage that ignores SIGTERM once the grace period is over', async () => {
    const dir = tempDir();
    const stage = fakeStage(dir, "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000);");
    await untilLogged(stage.logFile, 'ready');
    expect(await stopStage(stage, 300)).toBe('killed');
    expect(await stage.exited).toBe('SIGKILL');
  });

  it('says a stage that already ended was not running, and keeps its exit code', async () => {
    const dir = tempDir();
    const stage = fakeStage(dir, "console.error('boom'); process.exit(3);");
    expect(await stage.exited).toBe(3);
    expect(await stopStage(stage, 300)).toBe('was-not-running');
    expect(logTail(stage.logFile)).toEqual(['boom']);
  });

  it('stops the stages a killed demo left behind, but refuses while that demo still runs', async () => {
    const dir = tempDir();
    const orphan = fakeStage(dir, "console.log('ready'); setInterval(() => {}, 1000);");
    await untilLogged(orphan.logFile, 'ready');
    const pids = join(dir, 'demo.json');

    const liveDemo = fakeStage(dir, "setInterval(() => {}, 1000);");
    writeDemoPids(pids, { demoPid: liveDemo.pid, stages: [{ name: 'orphan', pid: orphan.pid }] });
    expect(await stopLeftoverStages(pids)).toEqual({ stopped: [], runningDemoPid: liveDemo.pid });
    expect(orphan.hasExited()).toBe(false);
    await stopStage(liveDemo, 1_000);

    expect((await stopLeftoverStages(pids)).stopped).toEqual(['orphan']);
    expect(await orphan.exited).toBe('SIGTERM');
  });
});
