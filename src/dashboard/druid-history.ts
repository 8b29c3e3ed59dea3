import { DruidClient, DruidHttpError, DruidUnreachableError } from '../druid/client.js';
import { sqlRowsAsObjects, type SqlParameter } from '../druid/sql.js';
import { createHistory, type HistoryProvider } from './history.js';

/**
 * Hourly history of a city from Druid's enriched_rides datasource (`ridehail druid submit`), in
 * the shape of the warehouse's: requests by the hour they were made, outcomes and fares by the
 * hour the ride ended. Druid stamps each enriched ride with its event_time, the moment it ended,
 * so __time is the end; the request hour comes from requested_at. Only revision 0 is counted:
 * a correction adds a row with a higher revision, and the first row already counts the ride.
 */
const HOUR = 3_600_000;

/** A datasource is an identifier, not a value: it cannot be a parameter, so it is checked instead. */
const DATASOURCE_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

export function druidHistorySql(datasource: string): { ended: string; requested: string } {
  if (!DATASOURCE_NAME.test(datasource)) throw new Error(`"${datasource}" is not a datasource name this dashboard will query`);
  const from = `FROM "${datasource}" WHERE city = ? AND revision = 0`;
  return {
    ended: `SELECT TIME_FLOOR(__time, 'PT1H') AS "hour",
  COUNT(*) FILTER (WHERE status = 'completed') AS completed,
  COUNT(*) FILTER (WHERE status = 'cancelled') AS cancelled,
  SUM(fare_total) FILTER (WHERE status = 'completed') AS revenue,
  AVG(wait_time_s) FILTER (WHERE status = 'completed') AS avg_wait_s,
  AVG(fare_total) FILTER (WHERE status = 'completed') AS avg_fare,
  LATEST(currency, 8) FILTER (WHERE currency IS NOT NULL) AS currency
${from} AND __time >= MILLIS_TO_TIMESTAMP(?)
GROUP BY 1`,
    // A ride ends after it was requested, so the __time bound only prunes segments.
    requested: `SELECT TIME_FLOOR(TIME_PARSE(requested_at), 'PT1H') AS "hour", COUNT(*) AS requested
${from} AND __time >= MILLIS_TO_TIMESTAMP(?) AND TIME_PARSE(requested_at) >= MILLIS_TO_TIMESTAMP(?)
GROUP BY 1`,
  };
}

/** Druid has no generate_series: the hours with nothing in them are filled in here. */
export function mergeHourlyRows(
  firstHourMs: number,
  hours: number,
  ended: readonly Record<string, unknown>[],
  requested: readonly Record<string, unknown>[],
): Record<string, unknown>[] {
  const at = (row: Record<string, unknown>): number => Date.parse(String(row.hour));
  const endedByHour = new Map(ended.map((r) => [at(r), r]));
  const requestedByHour = new Map(requested.map((r) => [at(r), r]));
  return Array.from({ length: hours }, (_, i) => {
    const hour = firstHourMs + i * HOUR;
    const e = endedByHour.get(hour);
    return {
      hour: new Date(hour),
      requested: requestedByHour.get(hour)?.requested ?? 0,
      completed: e?.completed ?? 0,
      cancelled: e?.cancelled ?? 0,
      revenue: e?.revenue ?? 0,
      avg_wait_s: e?.avg_wait_s ?? null,
      avg_fare: e?.avg_fare ?? null,
      currency: e?.currency ?? null,
    };
  });
}

function describeDruidError(error: unknown): string {
  if (error instanceof DruidUnreachableError) return `Druid is not reachable (${error.message})`;
  if (error instanceof DruidHttpError && /not found/i.test(error.message)) return 'Druid has no enriched_rides datasource yet (run `ridehail druid submit`)';
  return `Druid query failed: ${(error as Error).message ?? String(error)}`;
}

export function druidHistory(druidUrl: string, datasource: string, options: { ttlMs?: number; now?: () => number } = {}): HistoryProvider & { queries(): number } {
  const client = new DruidClient(druidUrl, { timeoutMs: 10_000 });
  const sql = druidHistorySql(datasource);
  const now = options.now ?? Date.now;
  return createHistory({
    source: 'druid',
    describe: describeDruidError,
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
    now,
    async load(city, hours) {
      const firstHourMs = Math.floor(now() / HOUR) * HOUR - (hours - 1) * HOUR;
      const cityParam: SqlParameter = { type: 'VARCHAR', value: city };
      const since: SqlParameter = { type: 'BIGINT', value: firstHourMs };
      const [ended, requested] = await Promise.all([
        client.sql(sql.ended, {}, 10_000, [cityParam, since]),
        client.sql(sql.requested, {}, 10_000, [cityParam, since, since]),
      ]);
      return mergeHourlyRows(firstHourMs, hours, sqlRowsAsObjects(ended), sqlRowsAsObjects(requested));
    },
  });
}
