import type pg from 'pg';
import { rebuildDrivers, transformNextBatch } from './sink.js';

/**
 * The marts are materialized views (definitions in the migrations), rebuilt together in one
 * transaction so readers never see one mart refreshed and another stale. Order matters only in
 * that none of them reads another.
 */
export const MARTS = ['mart_city_hourly_kpis', 'mart_driver_daily', 'mart_cancellation_reasons'] as const;
export type MartName = (typeof MARTS)[number];

// One constant statement per mart: identifiers cannot be parameters, and these are not input.
const REFRESH: Record<MartName, string> = {
  mart_city_hourly_kpis: 'REFRESH MATERIALIZED VIEW ridehail.mart_city_hourly_kpis',
  mart_driver_daily: 'REFRESH MATERIALIZED VIEW ridehail.mart_driver_daily',
  mart_cancellation_reasons: 'REFRESH MATERIALIZED VIEW ridehail.mart_cancellation_reasons',
};

const COUNT: Record<MartName, string> = {
  mart_city_hourly_kpis: 'SELECT count(*)::bigint AS n FROM ridehail.mart_city_hourly_kpis',
  mart_driver_daily: 'SELECT count(*)::bigint AS n FROM ridehail.mart_driver_daily',
  mart_cancellation_reasons: 'SELECT count(*)::bigint AS n FROM ridehail.mart_cancellation_reasons',
};

export interface RefreshResult {
  mart: MartName;
  rows: number;
  ms: number;
}

/**
 * Brings the models up to date first: batches a crashed load staged but did not transform, then
 * dim_driver (mart_driver_daily readers join it).
 */
export async function refreshMarts(client: pg.ClientBase): Promise<RefreshResult[]> {
  while ((await transformNextBatch(client)) !== null) {
    // Each call transforms one pending batch in its own transaction.
  }
  await rebuildDrivers(client);
  const results: RefreshResult[] = [];
  await client.query('BEGIN');
  try {
    for (const mart of MARTS) {
      const started = Date.now();
      await client.query(REFRESH[mart]);
      const count = await client.query<{ n: string }>(COUNT[mart]);
      results.push({ mart, rows: Number(count.rows[0]?.n ?? 0), ms: Date.now() - started });
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return results;
}
