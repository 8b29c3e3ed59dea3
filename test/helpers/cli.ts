import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * How to start the real `ridehail` CLI in a child process: the built bin/ridehail.js when dist/
 * is newer than every source (as in `npm test`, which builds first), else the sources through
 * vite-node, so a test never runs a stale build.
 */
export function cliCommand(): string[] {
  try {
    if (statSync(join(repoRoot, 'dist', 'cli', 'main.js')).mtimeMs >= newestMtime(join(repoRoot, 'src'))) return [join(repoRoot, 'bin', 'ridehail.js')];
  } catch {
    // No build: run the sources.
  }
  return [join(repoRoot, 'node_modules', 'vite-node', 'vite-node.mjs'), join(repoRoot, 'test', 'helpers', 'cli-entry.ts'), '--'];
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the CLI to completion, without colour or spinners, as CI would. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [...cliCommand(), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code: code ?? 1, stdout, stderr, ms: Date.now() - started };
}
