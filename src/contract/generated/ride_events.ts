/* Generated from schemas/ride_events.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * Topic ride_events, keyed by ride_id. One ride's events arrive in lifecycle order: ride_requested, driver_assigned, driver_arrived, ride_started, ride_completed; ride_cancelled may end a ride at any point before ride_started, and carries driver_id and vehicle_id when a driver had been assigned. On driver_assigned, location is the driver's position.
 */
export type RideEvent =
  RideRequested | DriverAssigned | DriverArrived | RideStarted | RideCompleted | RideCancelled;

export interface RideRequested {
  /**
   * Unique per event; duplicates of one event share it.
   */
  event_id: string;
  event_type: 'ride_requested';
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  event_time: string;
  /**
   * Version of the topic's schema this event was written against.
   */
  schema_version: number;
  /**
   * Code of a configured city, e.g. nyc.
   */
  city: string;
  ride_id: string;
  customer_id: string;
  location: GeoPoint;
  pickup: GeoPoint;
  dropoff: GeoPoint;
  product?: 'standard' | 'comfort' | 'xl';
}
export interface GeoPoint {
  lat: number;
  lon: number;
}
export interface DriverAssigned {
  /**
   * Unique per event; duplicates of one event share it.
   */
  event_id: string;
  event_type: 'driver_assigned';
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  event_time: string;
  /**
   * Version of the topic's schema this event was written against.
   */
  schema_version: number;
  /**
   * Code of a configured city, e.g. nyc.
   */
  city: string;
  ride_id: string;
  customer_id: string;
  driver_id: string;
  vehicle_id: string;
  location: GeoPoint;
  /**
   * Estimated seconds until the driver reaches the pickup.
   */
  eta_s?: number;
  /**
   * Surge quoted at assignment, applied to the fare.
   */
  surge_multiplier?: number;
}
export interface DriverArrived {
  /**
   * Unique per event; duplicates of one event share it.
   */
  event_id: string;
  event_type: 'driver_arrived';
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  event_time: string;
  /**
   * Version of the topic's schema this event was written against.
   */
  schema_version: number;
  /**
   * Code of a configured city, e.g. nyc.
   */
  city: string;
  ride_id: string;
  customer_id: string;
  driver_id: string;
  vehicle_id: string;
  location: GeoPoint;
}
export interface RideStarted {
  /**
   * Unique per event; duplicates of one event share it.
   */
  event_id: string;
  event_type: 'ride_started';
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  event_time: string;
  /**
   * Version of the topic's schema this event was written against.
   */
  schema_version: number;
  /**
   * Code of a configured city, e.g. nyc.
   */
  city: string;
  ride_id: string;
  customer_id: string;
  driver_id: string;
  vehicle_id: string;
  location: GeoPoint;
}
export interface RideCompleted {
  /**
   * Unique per event; duplicates of one event share it.
   */
  event_id: string;
  event_type: 'ride_completed';
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  event_time: string;
  /**
   * Version of the topic's schema this event was written against.
   */
  schema_version: number;
  /**
   * Code of a configured city, e.g. nyc.
   */
  city: string;
  ride_id: string;
  customer_id: string;
  driver_id: string;
  vehicle_id: string;
  location: GeoPoint;
  distance_km: number;
  duration_s: number;
  fare: Fare;
  payment_method: 'card' | 'cash' | 'wallet';
}
/**
 * total = round2((base + distance + time) * surge_multiplier), never below the rate card's minimum fare.
 */
export interface Fare {
  /**
   * An amount in the ride's currency, rounded to 2 decimals.
   */
  base: number;
  /**
   * An amount in the ride's currency, rounded to 2 decimals.
   */
  distance: number;
  /**
   * An amount in the ride's currency, rounded to 2 decimals.
   */
  time: number;
  surge_multiplier: number;
  /**
   * An amount in the ride's currency, rounded to 2 decimals.
   */
  total: number;
  /**
   * ISO 4217 code.
   */
  currency: string;
}
export interface RideCancelled {
  /**
   * Unique per event; duplicates of one event share it.
   */
  event_id: string;
  event_type: 'ride_cancelled';
  /**
   * When the event happened (event time), RFC 3339 UTC with milliseconds.
   */
  event_time: string;
  /**
   * Version of the topic's schema this event was written against.
   */
  schema_version: number;
  /**
   * Code of a configured city, e.g. nyc.
   */
  city: string;
  ride_id: string;
  customer_id: string;
  driver_id?: string;
  vehicle_id?: string;
  location: GeoPoint;
  cancelled_by: 'customer' | 'driver' | 'system';
  reason:
    | 'changed_plans'
    | 'wait_too_long'
    | 'driver_too_far'
    | 'customer_no_show'
    | 'driver_unavailable'
    | 'no_driver_found';
}
