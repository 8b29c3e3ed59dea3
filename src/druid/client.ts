import { describeDruidFailure, isMissingEndpoint } from './errors.js';
import { parseSqlResult, sqlRequest, type SqlParameter, type SqlResult } from './sql.js';

/**
 * A thin client for the parts of Druid's HTTP API that `ridehail druid` uses, over Node's fetch.
 * Point it at a router (everything works) or at the overlord (supervisors only; SQL lives on the
 * broker and router). Basic auth, as Druid's basic-security extension expects, comes from the
 * URL's user info, which fetch itself refuses to send.
 */

export type SupervisorAction = 'suspend' | 'resume' | 'reset' | 'terminate';

/** Druid answered, with an error. */
export class DruidHttpError extends Error {
  override name = 'DruidHttpError';
  constructor(
    message: string,
    readonly status: number,
    readonly path: string,
    /** The service at the URL lacks this endpoint (a 404 from Jetty, not from Druid). */
    readonly endpointMissing = false,
  ) {
    super(message);
  }
}

/** Druid did not answer at all. */
export class DruidUnreachableError extends Error {
  override name = 'DruidUnreachableError';
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
  }
}

/** One entry of GET /druid/indexer/v1/supervisor?state=true. Its `suspended` is always false in Druid 33: read the status. */
export interface SupervisorStateEntry {
  readonly id: string;
  readonly state?: string;
  readonly detailedState?: string;
  readonly healthy?: boolean;
  readonly suspended?: boolean;
}

export interface SupervisorTaskReport {
  readonly id: string;
  readonly type?: string;
  readonly startTime?: string | null;
  readonly remainingSeconds?: number | null;
}

export interface SupervisorErrorReport {
  readonly timestamp?: string;
  readonly exceptionClass?: string;
  readonly message?: string;
}

/** The `payload` of GET /druid/indexer/v1/supervisor/{id}/status for a Kafka supervisor. */
export interface SupervisorStatusPayload {
  readonly dataSource?: string;
  readonly stream?: string;
  readonly partitions?: number;
  readonly state?: string;
  readonly detailedState?: string;
  readonly healthy?: boolean;
  readonly suspended?: boolean;
  readonly aggregateLag?: number | null;
  readonly activeTasks?: readonly SupervisorTaskReport[];
  readonly publishingTasks?: readonly SupervisorTaskReport[];
  readonly recentErrors?: readonly SupervisorErrorReport[];
  readonly offsetsLastUpdated?: string | null;
}

export interface WorkerReport {
  readonly worker?: { readonly host?: string; readonly capacity?: number };
  readonly currCapacityUsed?: number;
}

export interface DruidClientOptions {
  /** Per request; SQL can take longer and has its own. Default 30 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** Splits `http://user:pw@host:8888/` into a fetchable base URL and an Authorization header. */
export function druidEndpoint(url: string): { baseUrl: string; authorization?: string } {
  const parsed = new URL(url);
  let authorization: string | undefined;
  if (parsed.username !== '' || parsed.password !== '') {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  const baseUrl = parsed.toString().replace(/\/+$/, '');
  return { baseUrl, ...(authorization !== undefined ? { authorization } : {}) };
}

function reachFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timed out';
  return cause?.message ?? (err as Error).message;
}

export class DruidClient {
  readonly baseUrl: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(url: string, opts: DruidClientOptions = {}) {
    const endpoint = druidEndpoint(url);
    this.baseUrl = endpoint.baseUrl;
    this.authorization = endpoint.authorization;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** JSON in, JSON (or text) out; a non-2xx answer becomes a {@link DruidHttpError} in Druid's words. */
  async request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.authorization !== undefined) headers['authorization'] = this.authorization;
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') {
        throw new DruidUnreachableError(`Druid at ${this.baseUrl} did not answer ${method} ${path} within ${Math.round(timeoutMs / 1000)} s`, this.baseUrl);
      }
      throw new DruidUnreachableError(`cannot reach Druid at ${this.baseUrl} (${reachFailure(err)})`, this.baseUrl);
    }
    const text = await res.text();
    if (!res.ok) throw new DruidHttpError(describeDruidFailure(res.status, res.statusText, text), res.status, path, isMissingEndpoint(res.status, text));
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  /** Ids of the supervisors Druid runs (suspended ones included, terminated ones not). */
  async supervisorIds(): Promise<string[]> {
    return (await this.request('GET', '/druid/indexer/v1/supervisor')) as string[];
  }

  async supervisorStates(): Promise<SupervisorStateEntry[]> {
    return (await this.request('GET', '/druid/indexer/v1/supervisor?state=true')) as SupervisorStateEntry[];
  }

  /** Every supervisor with its spec (`?full`). */
  async supervisorsFull(): Promise<{ id: string; spec?: unknown }[]> {
    return (await this.request('GET', '/druid/indexer/v1/supervisor?full')) as { id: string; spec?: unknown }[];
  }

  async supervisorStatus(id: string): Promise<SupervisorStatusPayload> {
    const answer = (await this.request('GET', `/druid/indexer/v1/supervisor/${encodeURIComponent(id)}/status`)) as { payload?: SupervisorStatusPayload };
    return answer.payload ?? {};
  }

  /**
   * Creates the supervisor, or replaces the one with the same id. `skipRestartIfUnmodified`
   * (Druid 33+; older releases ignore it) keeps an identical re-post from restarting its tasks.
   */
  async submitSupervisor(spec: unknown): Promise<string> {
    const answer = (await this.request('POST', '/druid/indexer/v1/supervisor?skipRestartIfUnmodified=true', spec)) as { id?: string };
    return answer.id ?? '';
  }

  async supervisorAction(id: string, action: SupervisorAction): Promise<void> {
    await this.request('POST', `/druid/indexer/v1/supervisor/${encodeURIComponent(id)}/${action}`);
  }

  async workers(): Promise<WorkerReport[]> {
    return (await this.request('GET', '/druid/indexer/v1/workers')) as WorkerReport[];
  }

  /** Ids of tasks waiting for a slot. */
  async pendingTaskIds(): Promise<string[]> {
    const tasks = (await this.request('GET', '/druid/indexer/v1/pendingTasks')) as { id: string }[];
    return tasks.map((t) => t.id);
  }

  async sql(query: string, context: Readonly<Record<string, unknown>> = {}, timeoutMs = 300_000, parameters: readonly SqlParameter[] = []): Promise<SqlResult> {
    return parseSqlResult(await this.request('POST', '/druid/v2/sql', sqlRequest(query, context, parameters), timeoutMs));
  }
}
