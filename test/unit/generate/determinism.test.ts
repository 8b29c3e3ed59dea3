import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { CliContext } from '../../../src/cli/context.js';
import { createContext } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';

/** `ridehail generate --clock sim --seed S --out FILE`, the command itself, in-process. */

const dir = mkdtempSync(join(tmpdir(), 'ridehail-determinism-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A context whose shutdown signal is ours, so tests install no process signal handlers. */
function quietContext(): CliContext {
  const base = createContext({ ...process.env, NO_COLOR: '1', CI: 'true' });
  const controller = new AbortController();
  return { ...base, shutdownSignal: () => controller.signal };
}

let runs = 0;
async function generateFile(...args: string[]): Promise<{ out: string; manifest: string; stdout: string }> {
  const n = ++runs;
  const out = join(dir, `run${n}.jsonl`);
  const manifest = join(dir, `run${n}.json`);
  let stdout = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(['node', 'ridehail', 'generate', '--clock', 'sim', '--start', '2026-03-02T07:00:00Z', '--out', out, '--manifest', manifest, '--json', ...args], quietContext());
    expect(code).toBe(0);
  } finally {
    write.mockRestore();
    stderr.mockRestore();
  }
  return { out: readFileSync(out, 'utf8'), manifest: readFileSync(manifest, 'utf8'), stdout };
}

/** The manifest without what legitimately differs between two runs: where the records went. */
function comparable(manifest: string): unknown {
  const parsed = JSON.parse(manifest) as { parameters: Record<string, unknown> };
  delete parsed.parameters['destination'];
  return parsed;
}

describe('a seeded --clock sim run', () => {
  it('writes byte-identical records for the same seed', async () => {
    const a = await generateFile('--seed', '42', '--count', '20000', '--cities', 'nyc,lon,tyo');
    const b = await generateFile('--seed', '42', '--count', '20000', '--cities', 'nyc,lon,tyo');
    expect(a.out.length).toBeGreaterThan(500_000);
    expect(a.out === b.out).toBe(true);
    expect(comparable(a.manifest)).toEqual(comparable(b.manifest));
  });

  it('writes other records for another seed', async () => {
    const a = await generateFile('--seed', '42', '--count', '5000', '--cities', 'nyc');
    const b = await generateFile('--seed', '43', '--count', '5000', '--cities', 'nyc');
    expect(a.out === b.out).toBe(false);
    const idsOf = (text: string) => new Set(text.trim().split('\n').map((line) => (JSON.parse(line) as { value: { event_id: string } }).value.event_id));
    const other = idsOf(b.out);
    const shared = [...idsOf(a.out)].filter((id) => other.has(id));
    expect(shared).toEqual([]);
  });

  it('injects the same faults, in the same places, for the same seed', async () => {
    const faults = ['--invalid-rate', '0.02', '--duplicate-rate', '0.02', '--late-rate', '0.02', '--late-by', '2m'];
    const a = await generateFile('--seed', 'f', '--count', '10000', '--cities', 'par,ber', ...faults);
    const b = await generateFile('--seed', 'f', '--count', '10000', '--cities', 'par,ber', ...faults);
    expect(a.out === b.out).toBe(true);
    expect(comparable(a.manifest)).toEqual(comparable(b.manifest));
    expect((JSON.parse(a.manifest) as { faults: { records: unknown[] } }).faults.records.length).toBeGreaterThan(300);
  });

  it('prints its summary as JSON with --json', async () => {
    const { stdout } = await generateFile('--seed', 'j', '--count', '2000', '--cities', 'syd');
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ stopped_by: 'count', events: 2000, records: 2000, seed: 'j', clock: 'sim', target_rate: 200, faults: { invalid: 0, duplicate: 0, late: 0 } });
    const byTopic = summary['by_topic'] as Record<string, number>;
    expect(Object.values(byTopic).reduce((a, b) => a + b, 0)).toBe(2000);
    expect(summary['event_time']).toMatchObject({ first: expect.stringMatching(/^2026-03-02T07:00/) });
  });
});
