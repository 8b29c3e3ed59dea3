import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunning as alive, makeTempRoot, sweepOrphanedTestRoots } from '../helpers/stack.js';

/** A pid that surely ran and is gone: a process that has exited and been reaped. */
function deadPid(): number {
  const done = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(done.stdout.trim());
}

describe('temp roots of a test run that was killed', () => {
  it.skipIf(process.platform !== 'linux')('are swept by the next run: what still runs in them is stopped, and a live run’s roots are left alone', async () => {
    const orphan = await makeTempRoot('ridehail-sweep-orphan-');
    await writeFile(join(orphan, '.ridehail-test-owner'), `${deadPid()}\n`);
    // A stand-in for a broker the killed run left: its command line names a file in the root.
    const leftover = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', join(orphan, 'server.properties')], { stdio: 'ignore' });
    const exited = new Promise((resolve) => leftover.once('exit', resolve));
    const ours = await makeTempRoot('ridehail-sweep-live-');
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', join(ours, 'server.properties')], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const swept = await sweepOrphanedTestRoots();
      expect(swept).toContain(orphan);
      expect(swept).not.toContain(ours);
      await exited;
      expect(alive(leftover.pid!)).toBe(false);
      expect(existsSync(orphan)).toBe(false);
      expect(alive(bystander.pid!)).toBe(true);
      expect(existsSync(ours)).toBe(true);
    } finally {
      leftover.kill('SIGKILL');
      bystander.kill('SIGKILL');
      await rm(ours, { recursive: true, force: true });
      await rm(orphan, { recursive: true, force: true });
    }
  });
});
