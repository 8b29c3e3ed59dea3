import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { findFreePort } from '../../src/local/free-port.js';
import { initPostgres, postgresBinaries, postgresRunAs, postgresUrl, startPostgres, waitForPostgres } from '../../src/local/postgres.js';
import { stopProcess } from '../../src/local/process.js';
import { makeTempRoot } from './stack.js';

/**
 * Each test file gets its own database on the shared server, so files never see each other's
 * rows; the name is random and identifiers are escaped by pg, never spliced from input.
 */
export async function createTestDatabase(serverUrl: string, prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A Postgres of the test's own, which the test may stop and start (the shared one it may not). */
export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server for good and deletes its files. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = await makeTempRoot('ridehail-wh-pg-');
  const dataDir = join(root, 'data');
  const port = await findFreePort();
  const bins = await postgresBinaries();
  const runAs = await postgresRunAs();
  const opts = { dataDir, port, logFile: join(root, 'postgres.log'), pidFile: join(root, 'postgres.pid'), bins, runAs };
  await initPostgres(opts);
  let pid: number | undefined;
  const start = async (): Promise<void> => {
    pid = await startPostgres(opts);
    await waitForPostgres(port, { timeoutMs: 60_000 });
  };
  const stop = async (): Promise<void> => {
    // SIGINT is Postgres's "fast" shutdown: it disconnects clients instead of waiting for them.
    if (pid !== undefined) await stopProcess(pid, dataDir, { signal: 'SIGINT', timeoutMs: 20_000 });
    pid = undefined;
  };
  await start();
  return {
    url: postgresUrl(port),
    start,
    stop,
    destroy: async () => {
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
