/* Generated from schemas/user_events.schema.json by scripts/gen-types.mjs. Do not edit: edit the schema and run `npm run gen:types`. */

/**
 * Topic user_events, keyed by user_id (a driver's or a customer's id). Profiles carry personal data (name, phone, email): downstream stores keep them masked or hashed.
 */
export type UserEvent = DriverSignup | CustomerSignup | RatingSubmitted;

export interface DriverSignup {
  /**
   * Unique per event; duplicates of one event share it.
   */
  event_id: string;
  event_type: 'driver_signup';
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
  user_id: string;
  profile: DriverProfile;
}
export interface DriverProfile {
  name: string;
  phone: string;
  email: string;
  license_number: string;
  vehicle: VehicleProfile;
}
export interface VehicleProfile {
  vehicle_id: string;
  make: string;
  model: string;
  year: number;
  color: string;
  plate: string;
  seats: number;
}
export interface CustomerSignup {
  /**
   * Unique per event; duplicates of one event share it.
   */
  event_id: string;
  event_type: 'customer_signup';
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
  user_id: string;
  profile: CustomerProfile;
}
export interface CustomerProfile {
  name: string;
  phone: string;
  email: string;
  preferred_payment?: 'card' | 'cash' | 'wallet';
}
export interface RatingSubmitted {
  /**
   * Unique per event; duplicates of one event share it.
   */
  event_id: string;
  event_type: 'rating_submitted';
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
  /**
   * The rater; the record key.
   */
  user_id: string;
  ride_id: string;
  rater_id: string;
  ratee_id: string;
  rater_role: 'customer' | 'driver';
  rating: number;
}
