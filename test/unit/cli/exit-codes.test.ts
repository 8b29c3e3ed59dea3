import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';

function capture(): { stderr: () => string; stdout: () => string } {
  let err = '';
  let out = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  return { stderr: () => err, stdout: () => out };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the command shell', () => {
  it('an unknown flag gives a one-line error and exit code 2', async () => {
    const io = capture();
    const code = await main(['node', 'ridehail', 'topics', 'create', '--bogus']);
    expect(code).toBe(2);
    expect(io.stderr().trim().split('\n')).toHaveLength(1);
    expect(io.stderr()).toMatch(/unknown option '--bogus'/);
  });

  it('a bad value gives a one-line error and exit code 2, never a stack trace', async () => {
    const io = capture();
    const code = await main(['node', 'ridehail', 'topics', 'create', '--partitions', 'zero']);
    expect(code).toBe(2);
    expect(io.stderr()).toMatch(/"zero" is not a positive integer/);
    expect(io.stderr()).not.toMatch(/\n\s+at /);
  });

  it('a bad environment value is a usage error naming the variable', async () => {
    const io = capture();
    vi.stubEnv('KAFKA_BROKERS', 'no-port');
    const code = await main(['node', 'ridehail', 'config']);
    vi.unstubAllEnvs();
    expect(code).toBe(2);
    expect(io.stderr()).toMatch(/KAFKA_BROKERS: "no-port" is not host:port/);
  });

  it('--version prints the package version and exits 0', async () => {
    const io = capture();
    const code = await main(['node', 'ridehail', '--version']);
    expect(code).toBe(0);
    expect(io.stdout().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('every command has --help with an example', async () => {
    const { buildProgram } = await import('../../../src/cli/main.js');
    const { createContext } = await import('../../../src/cli/context.js');
    const program = buildProgram(createContext());
    const leaves: string[][] = [];
    const walk = (command: typeof program, path: string[]): void => {
      const subs = command.commands.filter((c) => c.name() !== 'help');
      if (subs.length === 0) leaves.push(path);
      for (const sub of subs) walk(sub, [...path, sub.name()]);
    };
    walk(program, []);
    expect(leaves.length).toBeGreaterThan(2);
    for (const path of leaves) {
      const io = capture();
      const code = await main(['node', 'ridehail', ...path, '--help']);
      vi.restoreAllMocks();
      expect(code, path.join(' ')).toBe(0);
      expect(io.stdout(), path.join(' ')).toMatch(/Examples?:\n\s+\$ ridehail/);
    }
  });
});
