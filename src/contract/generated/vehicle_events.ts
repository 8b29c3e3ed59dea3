/* Generated from schemas/vehicle_events.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * Topic vehicle_events, keyed by vehicle_id: a vehicle going online or offline, and periodic location pings while online.
 */
export interface VehicleEvent {
  /**
   * Unique per event; duplicates of one event share it.
   */
  event_id: string;
  event_type: 'vehicle_online' | 'vehicle_offline' | 'vehicle_location';
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
  vehicle_id: string;
  driver_id: string;
  status: 'available' | 'en_route' | 'on_trip' | 'offline';
  location: GeoPoint;
  /**
   * Degrees clockwise from north; on vehicle_location.
   */
  heading?: number;
  /**
   * On vehicle_location.
   */
  speed_kmh?: number;
}
export interface GeoPoint {
  lat: number;
  lon: number;
}
