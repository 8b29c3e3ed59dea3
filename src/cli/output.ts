import chalk, { Chalk, type ChalkInstance } from 'chalk';
import ora, { type Ora } from 'ora';

/**
 * Everything a command prints goes through here, so colour, spinners and live lines follow one
 * rule: only on a TTY, never with NO_COLOR, and never mixed into --json output.
 */
export interface Spinner {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

export interface Output {
  readonly interactive: boolean;
  readonly jsonMode: boolean;
  readonly color: ChalkInstance;
  info(message: string): void;
  warn(message: string): void;
  success(message: string): void;
  /** Machine-readable result on stdout; the only thing printed to stdout in --json mode. */
  json(value: unknown): void;
  table(rows: Record<string, unknown>[], columns?: string[]): void;
  spinner(text: string): Spinner;
  /** A status line rewritten in place on a TTY; silent elsewhere so logs stay clean. */
  live(text: string): void;
  endLive(): void;
}

export interface OutputOptions {
  json?: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const jsonMode = Boolean(options.json);
  const interactive = Boolean(stderr.isTTY) && env.CI !== 'true';
  const color = colorEnabled(stderr, env) ? new Chalk({ level: chalk.level || 1 }) : new Chalk({ level: 0 });
  let liveActive = false;

  // Human messages go to stderr when stdout carries JSON, so `--json | jq` always parses.
  const human = jsonMode ? stderr : stdout;
  const write = (stream: NodeJS.WriteStream, line: string): void => {
    if (liveActive) clearLive();
    stream.write(`${line}\n`);
  };
  const clearLive = (): void => {
    stderr.write('\r\x1b[2K');
    liveActive = false;
  };

  return {
    interactive,
    jsonMode,
    color,
    info: (message) => write(human, message),
    warn: (message) => write(stderr, color.yellow(`warning: ${message}`)),
    success: (message) => write(human, color.green(message)),
    json: (value) => write(stdout, JSON.stringify(value, null, 2)),
    table: (rows, columns) => write(human, formatTable(rows, columns)),
    spinner(text) {
      if (!interactive || jsonMode) {
        write(stderr, text);
        return {
          update: () => undefined,
          succeed: (t) => write(stderr, color.green(`✔ ${t ?? text}`)),
          fail: (t) => write(stderr, color.red(`✖ ${t ?? text}`)),
          stop: () => undefined,
        };
      }
      const spin: Ora = ora({ text, stream: stderr, color: 'cyan', isEnabled: true }).start();
      return {
        update: (t) => {
          spin.text = t;
        },
        succeed: (t) => void spin.succeed(t),
        fail: (t) => void spin.fail(t),
        stop: () => void spin.stop(),
      };
    },
    live(text) {
      if (!interactive) return;
      stderr.write(`\r\x1b[2K${text}`);
      liveActive = true;
    },
    endLive() {
      if (liveActive) clearLive();
    },
  };
}

export function formatTable(rows: Record<string, unknown>[], columns?: string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  if (rows.length === 0) return '(no rows)';
  const cell = (value: unknown): string =>
    value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  const widths = cols.map((col) => Math.max(col.length, ...rows.map((row) => cell(row[col]).length)));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((row) => line(cols.map((col) => cell(row[col]))))].join('\n');
}
