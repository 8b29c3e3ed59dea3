import type pg from 'pg';
import type { RideMetrics } from '../contract/generated/ride_metrics.js';

/**
 * Reads mart_city_metrics_1m in the shape of ride_metrics_1m records, so a batch-equals-stream
 * comparison is a field-by-field equality. Only the fields derivable from finished rides exist.
 */
export const RIDE_DERIVED_METRIC_FIELDS = [
  'rides_requested', 'rides_completed', 'rides_cancelled', 'cancellation_rate', 'revenue', 'currency',
  'avg_fare', 'p90_fare', 'avg_wait_s', 'avg_trip_s', 'avg_surge',
] as const satisfies readonly (keyof RideMetrics)[];

export type CityMetrics1m = Pick<RideMetrics, 'city' | 'window_start' | 'window_end' | (typeof RIDE_DERIVED_METRIC_FIELDS)[number]>;

interface Row {
  city: string;
  window_start: Date;
  window_end: Date;
  rides_requested: number;
  rides_completed: number;
  rides_cancelled: number;
  cancellation_rate: string | null;
  revenue: string;
  currency: string | null;
  avg_fare: string | null;
  p90_fare: string | null;
  avg_wait_s: string | null;
  avg_trip_s: string | null;
  avg_surge: string | null;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

export async function cityMetrics1m(client: pg.ClientBase, filter: { city?: string; from?: Date; to?: Date } = {}): Promise<CityMetrics1m[]> {
  const result = await client.query<Row>(
    `SELECT city, window_start, window_end, rides_requested, rides_completed, rides_cancelled, cancellation_rate,
            revenue, currency, avg_fare, p90_fare, avg_wait_s, avg_trip_s, avg_surge
       FROM ridehail.mart_city_metrics_1m
      WHERE ($1::text IS NULL OR city = $1)
        AND ($2::timestamptz IS NULL OR window_start >= $2)
        AND ($3::timestamptz IS NULL OR window_start < $3)
      ORDER BY city, window_start`,
    [filter.city ?? null, filter.from?.toISOString() ?? null, filter.to?.toISOString() ?? null],
  );
  return result.rows.map((r) => ({
    city: r.city,
    window_start: r.window_start.toISOString(),
    window_end: r.window_end.toISOString(),
    rides_requested: r.rides_requested,
    rides_completed: r.rides_completed,
    rides_cancelled: r.rides_cancelled,
    cancellation_rate: num(r.cancellation_rate),
    revenue: Number(r.revenue),
    currency: r.currency,
    avg_fare: num(r.avg_fare),
    p90_fare: num(r.p90_fare),
    avg_wait_s: num(r.avg_wait_s),
    avg_trip_s: num(r.avg_trip_s),
    avg_surge: num(r.avg_surge),
  }));
}
