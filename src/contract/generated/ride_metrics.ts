/* Generated from schemas/ride_metrics.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * Topics ride_metrics_1m (per city, key `city|window_start`, zone null) and ride_metrics_zone_1m (per H3 zone, key `city|zone|window_start`): one record per event-time tumbling window, re-emitted under the same key with a higher revision when late data corrects it. Counts are by the event time of each lifecycle step: a request in the window of its ride_requested, a completion and its revenue in the window of its ride_completed.
 */
export interface RideMetrics {
  /**
   * Code of a configured city, e.g. nyc.
   */
  city: string;
  /**
   * H3 cell (resolution 8); null on the city-level topic.
   */
  zone: string | null;
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  window_start: string;
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  window_end: string;
  rides_requested: number;
  rides_completed: number;
  rides_cancelled: number;
  /**
   * cancelled / (completed + cancelled) in the window; null when neither happened.
   */
  cancellation_rate: number | null;
  /**
   * Sum of fare totals of rides completed in the window.
   */
  revenue: number;
  currency: string | null;
  avg_fare: number | null;
  p90_fare: number | null;
  /**
   * Mean wait of rides whose driver arrived in the window.
   */
  avg_wait_s: number | null;
  /**
   * Mean trip duration of rides completed in the window.
   */
  avg_trip_s: number | null;
  /**
   * Vehicles not offline at the window's end (by the latest vehicle event at or before it).
   */
  drivers_online: number;
  drivers_on_trip: number;
  /**
   * drivers_on_trip / drivers_online; null when no driver is online.
   */
  utilisation: number | null;
  /**
   * Mean surge multiplier of rides completed in the window.
   */
  avg_surge: number | null;
  /**
   * 0 on the first emission of a window; incremented by each late correction.
   */
  revision: number;
  /**
   * Version of the topic's schema this event was written against.
   */
  schema_version: number;
}
