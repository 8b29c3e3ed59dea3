/* Generated from schemas/enriched_rides.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * Topic enriched_rides, keyed by ride_id: one record per finished ride (completed or cancelled), written by `ridehail enrich` once the ride's lifecycle is joined. A later correction of the same ride is written again under the same key with a higher revision. ended_at is completed_at or cancelled_at; event_time equals ended_at and is the timestamp Druid partitions by.
 */
export interface EnrichedRide {
  ride_id: string;
  /**
   * Code of a configured city, e.g. nyc.
   */
  city: string;
  customer_id: string;
  driver_id: string | null;
  vehicle_id: string | null;
  status: 'completed' | 'cancelled';
  cancelled_by: 'customer' | 'driver' | 'system' | null;
  cancel_reason: string | null;
  pickup: GeoPoint | null;
  dropoff: GeoPoint | null;
  /**
   * H3 cell (resolution 8) of the pickup point.
   */
  pickup_zone: string | null;
  /**
   * H3 cell (resolution 8) of the drop-off point.
   */
  dropoff_zone: string | null;
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  requested_at: string;
  assigned_at: string | null;
  arrived_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  cancelled_at: string | null;
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  ended_at: string;
  /**
   * Seconds from request to pickup (driver_arrived); null when the driver never arrived.
   */
  wait_time_s: number | null;
  /**
   * Seconds from ride_started to ride_completed; null for cancelled rides.
   */
  trip_duration_s: number | null;
  distance_km: number | null;
  /**
   * reported: from ride_completed; haversine: great-circle pickup to drop-off because the source lacked it.
   */
  distance_source: 'reported' | 'haversine' | null;
  fare_base: number | null;
  fare_distance: number | null;
  fare_time: number | null;
  fare_total: number | null;
  currency: string | null;
  surge_multiplier: number | null;
  /**
   * fare_total / distance_km; null (never Infinity) when the distance is 0 or unknown.
   */
  cost_per_km: number | null;
  /**
   * fare_total / (trip_duration_s / 60); null (never Infinity) when the duration is 0 or unknown.
   */
  cost_per_minute: number | null;
  payment_method: 'card' | 'cash' | 'wallet' | null;
  /**
   * IANA zone of the city, used for local_date, hour_of_day and weekday.
   */
  time_zone: string;
  /**
   * Date of requested_at in the city's time zone.
   */
  local_date: string;
  /**
   * Hour of requested_at in the city's time zone.
   */
  hour_of_day: number;
  /**
   * ISO weekday of requested_at in the city's time zone (1 = Monday).
   */
  weekday: number;
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  event_time: string;
  /**
   * 0 for the first record of a ride; incremented by each correction.
   */
  revision: number;
  /**
   * Version of the topic's schema this event was written against.
   */
  schema_version: number;
}
export interface GeoPoint {
  lat: number;
  lon: number;
}
