import type { RideMetrics } from '../contract/generated/ride_metrics.js';
import type { WindowAggregate } from './windows.js';

export const METRICS_SCHEMA_VERSION = 1;

/** Nearest-rank percentile (the value at rank ceil(p·n)); null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** A ratio that is null, never NaN or Infinity, when there is nothing to divide by. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function roundOrNull(value: number | null, decimals: number): number | null {
  return value === null ? null : round(value, decimals);
}

export interface WindowIdentity {
  city: string;
  zone: string | null;
  startMs: number;
  endMs: number;
}

export function toRideMetrics(id: WindowIdentity, a: WindowAggregate, revision: number): RideMetrics {
  const finished = a.completed + a.cancelled;
  const cancellationRate = ratio(a.cancelled, finished);
  const utilisation = ratio(a.driversOnTrip, a.driversOnline);
  return {
    city: id.city,
    zone: id.zone,
    window_start: new Date(id.startMs).toISOString(),
    window_end: new Date(id.endMs).toISOString(),
    rides_requested: a.requested,
    rides_completed: a.completed,
    rides_cancelled: a.cancelled,
    cancellation_rate: roundOrNull(cancellationRate, 4),
    revenue: round(a.revenue, 2),
    currency: a.currency,
    avg_fare: roundOrNull(ratio(a.revenue, a.fares.length), 2),
    p90_fare: roundOrNull(percentile(a.fares, 0.9), 2),
    avg_wait_s: roundOrNull(ratio(a.waitSumS, a.waitCount), 1),
    avg_trip_s: roundOrNull(ratio(a.tripSumS, a.tripCount), 1),
    drivers_online: a.driversOnline,
    drivers_on_trip: a.driversOnTrip,
    // on_trip vehicles are online too, so this never exceeds 1.
    utilisation: roundOrNull(utilisation, 4),
    avg_surge: roundOrNull(ratio(a.surgeSum, a.surgeCount), 3),
    revision,
    schema_version: METRICS_SCHEMA_VERSION,
  };
}
