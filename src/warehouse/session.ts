import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { RidehailError } from '../cli/errors.js';

/**
 * One Postgres connection that survives the server going away. A batch is all-or-nothing and the
 * offset fence makes a retried batch load only what did not commit, so on a lost connection the
 * right move is: reconnect, then run the same batch again.
 */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

export function isConnectionError(error: unknown): boolean {
  const err = error as { code?: unknown; message?: unknown } | null;
  if (!err) return false;
  if (typeof err.code === 'string' && CONNECTION_CODES.has(err.code)) return true;
  const message = typeof err.message === 'string' ? err.message : '';
  return /Connection terminated|connection ended|Client has encountered a connection error|not queryable|terminating connection|the database system is (starting up|shutting down|in recovery)/i.test(message);
}

export interface SessionOptions {
  /** How long to keep reconnecting before giving up, in ms. */
  reconnectForMs?: number;
  onReconnect?: (attempt: number, error: Error) => void;
  signal?: AbortSignal;
}

export class PgSession {
  private client: pg.Client | undefined;

  constructor(
    private readonly url: string,
    private readonly options: SessionOptions = {},
  ) {}

  /** Another session to the same database: a second connection for work that runs alongside. */
  fork(): PgSession {
    return new PgSession(this.url, this.options);
  }

  async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000, application_name: 'ridehail-warehouse' });
    // A server restart emits 'error' on idle clients; the next query reports it and we reconnect then.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }

  /** Runs `fn` on a live connection, reconnecting and re-running it after connection loss. */
  async run<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.options.reconnectForMs ?? 60_000);
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(await this.connect());
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        await this.drop();
        if (Date.now() >= deadline || this.options.signal?.aborted) {
          throw new RidehailError(`lost the connection to Postgres and could not get it back: ${(error as Error).message}`, { cause: error });
        }
        this.options.onReconnect?.(attempt, error as Error);
        await sleep(Math.min(250 * attempt, 2_000));
      }
    }
  }

  async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.drop();
  }
}
