import pg from 'pg';

/**
 * Hourly history of a city from the warehouse, for the chart that reaches further back than the
 * stream. One query per (city, hours) per TTL however many pages are open: results are cached and
 * concurrent misses share one in-flight query. The SQL lives here alone so it is easy to point at
 * a mart once the warehouse settles on one.
 */

export interface HistoryPoint {
  /** Hour start, epoch ms. */
  t: number;
  requested: number;
  completed: number;
  cancelled: number;
  revenue: number;
  avgWaitS: number | null;
  avgFare: number | null;
}

export type HistorySource = 'warehouse' | 'druid';

export interface HistoryResult {
  city: string;
  hours: number;
  source: HistorySource;
  available: boolean;
  /** Why there is no history, when there is none (no warehouse, table missing, …). */
  reason?: string;
  currency: string | null;
  points: HistoryPoint[];
  fetchedAt: string;
}

export interface HistoryProvider {
  get(city: string, hours: number): Promise<HistoryResult>;
  close(): Promise<void>;
}

export type QueryFn = (sql: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/**
 * fct_rides (schema ridehail, reached through the connection's search_path) holds one row per
 * finished ride. Requests are bucketed by the hour they were made in,
 * revenue and fares by the hour the ride ended, matching how the stream counts them.
 */
export const HISTORY_SQL = `
WITH hours AS (
  SELECT generate_series(date_trunc('hour', now() - make_interval(hours => $2::int - 1)), date_trunc('hour', now()), interval '1 hour') AS hour
),
requested AS (
  SELECT date_trunc('hour', requested_at) AS hour, count(*) AS requested
  FROM fct_rides
  WHERE city = $1 AND requested_at >= date_trunc('hour', now() - make_interval(hours => $2::int - 1))
  GROUP BY 1
),
ended AS (
  SELECT date_trunc('hour', ended_at) AS hour,
         count(*) FILTER (WHERE status = 'completed') AS completed,
         count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
         coalesce(sum(fare_total) FILTER (WHERE status = 'completed'), 0) AS revenue,
         avg(wait_time_s) FILTER (WHERE status = 'completed') AS avg_wait_s,
         avg(fare_total) FILTER (WHERE status = 'completed') AS avg_fare,
         max(currency) AS currency
  FROM fct_rides
  WHERE city = $1 AND ended_at >= date_trunc('hour', now() - make_interval(hours => $2::int - 1))
  GROUP BY 1
)
SELECT hours.hour, coalesce(requested.requested, 0) AS requested, coalesce(ended.completed, 0) AS completed,
       coalesce(ended.cancelled, 0) AS cancelled, coalesce(ended.revenue, 0) AS revenue,
       ended.avg_wait_s, ended.avg_fare, ended.currency
FROM hours
LEFT JOIN requested USING (hour)
LEFT JOIN ended USING (hour)
ORDER BY hours.hour`;

/** Rows shaped as HISTORY_SQL returns them (hour, requested, …, currency), one per hour, oldest first. */
export type HistoryLoader = (city: string, hours: number) => Promise<Record<string, unknown>[]>;

export type HistoryOptions = {
  ttlMs?: number;
  now?: () => number;
  close?: () => Promise<void>;
} & (
  | { query: QueryFn }
  | { source: HistorySource; load: HistoryLoader; describe(error: unknown): string }
);

export function createHistory(options: HistoryOptions): HistoryProvider & { queries(): number } {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; result: Promise<HistoryResult> }>();
  let queries = 0;
  const { source, fetchRows, explain } =
    'query' in options
      ? { source: 'warehouse' as const, fetchRows: async (city: string, hours: number) => (await options.query(HISTORY_SQL, [city, hours])).rows, explain: describe }
      : { source: options.source, fetchRows: options.load, explain: options.describe };

  const load = async (city: string, hours: number): Promise<HistoryResult> => {
    queries += 1;
    const base = { city, hours, source, fetchedAt: new Date(now()).toISOString() };
    try {
      const rows = await fetchRows(city, hours);
      const points = rows.map(toPoint);
      const currency = rows.map((r) => r.currency).find((c): c is string => typeof c === 'string') ?? null;
      return { ...base, available: true, currency, points };
    } catch (error) {
      return { ...base, available: false, reason: explain(error), currency: null, points: [] };
    }
  };

  return {
    get(city, hours) {
      const key = `${city}|${hours}`;
      const hit = cache.get(key);
      if (hit && now() - hit.at < ttlMs) return hit.result;
      const result = load(city, hours);
      cache.set(key, { at: now(), result });
      // Failures are cached too, but briefly: a warehouse coming up should show soon.
      void result.then((r) => {
        if (!r.available && cache.get(key)?.result === result) cache.set(key, { at: now() - ttlMs + Math.min(ttlMs, 10_000), result });
      });
      return result;
    },
    queries: () => queries,
    close: options.close ?? (async () => undefined),
  };
}

export function postgresHistory(databaseUrl: string, ttlMs?: number): HistoryProvider & { queries(): number } {
  // Two connections are plenty: the cache means at most a handful of queries a minute.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 2,
    connectionTimeoutMillis: 3_000,
    statement_timeout: 10_000,
    options: '-c search_path=ridehail -c default_transaction_read_only=on',
  });
  pool.on('error', () => undefined);
  return createHistory({
    query: (sql, params) => pool.query(sql, params),
    ...(ttlMs === undefined ? {} : { ttlMs }),
    close: () => pool.end(),
  });
}

function toPoint(row: Record<string, unknown>): HistoryPoint {
  const hour = row.hour instanceof Date ? row.hour.getTime() : Date.parse(String(row.hour));
  return {
    t: hour,
    requested: Number(row.requested ?? 0),
    completed: Number(row.completed ?? 0),
    cancelled: Number(row.cancelled ?? 0),
    revenue: Math.round(Number(row.revenue ?? 0) * 100) / 100,
    avgWaitS: nullableNumber(row.avg_wait_s, 1),
    avgFare: nullableNumber(row.avg_fare, 2),
  };
}

function nullableNumber(value: unknown, digits: number): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  if (!Number.isFinite(n)) return null;
  const factor = 10 ** digits;
  return Math.round(n * factor) / factor;
}

function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === '42P01' || code === '3F000') return 'the warehouse has no ridehail.fct_rides yet (run the warehouse load)';
  if (code === 'ECONNREFUSED') return 'the warehouse (Postgres) is not reachable';
  return `warehouse query failed: ${(error as Error).message ?? String(error)}`;
}
