/* Generated from schemas/common.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * Unique per event; duplicates of one event share it.
 *
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "EventId".
 */
export type EventId = string;
/**
 * When the event happened (event time), RFC 3339 UTC with milliseconds.
 *
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "EventTime".
 */
export type EventTime = string;
/**
 * Version of the topic's schema this event was written against.
 *
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "SchemaVersion".
 */
export type SchemaVersion = number;
/**
 * Code of a configured city, e.g. nyc.
 *
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "CityCode".
 */
export type CityCode = string;
/**
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "RideId".
 */
export type RideId = string;
/**
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "CustomerId".
 */
export type CustomerId = string;
/**
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "DriverId".
 */
export type DriverId = string;
/**
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "VehicleId".
 */
export type VehicleId = string;
/**
 * ISO 4217 code.
 *
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "Currency".
 */
export type Currency = string;
/**
 * An amount in the ride's currency, rounded to 2 decimals.
 *
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "Money".
 */
export type Money = number;
/**
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "VehicleStatus".
 */
export type VehicleStatus = 'available' | 'en_route' | 'on_trip' | 'offline';

/**
 * Shapes shared by every ridehail event. Referenced by the per-topic schemas; not a topic itself.
 */
export interface Common {
  [k: string]: unknown;
}
/**
 * This interface was referenced by `Common`'s JSON-Schema
 * via the `definition` "GeoPoint".
 */
export interface GeoPoint {
  lat: number;
  lon: number;
}
