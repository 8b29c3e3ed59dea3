/**
 * The set-based steps that turn one loaded batch of staging rows into dimensions and facts.
 * Each is one constant statement taking the batch id as $1, run in the batch's transaction, in
 * this order (dimensions that facts and marts look up first; dim_driver last, from its inputs).
 * Duplicates of one event (same event_id) collapse through ON CONFLICT DO NOTHING, which also
 * skips a duplicate within the same statement; DO UPDATE steps pick one row per key first.
 * Every step is idempotent for its batch, and upserts only move forward (a fact keeps its
 * highest revision, a customer its latest signup), so replaying history cannot regress it.
 */
export interface TransformStep {
  name: string;
  sql: string;
}

export const TRANSFORM_STEPS: readonly TransformStep[] = [
  {
    name: 'dim_city',
    sql: `
INSERT INTO ridehail.dim_city (city_code, time_zone, first_seen_at)
SELECT r.payload->>'city', max(r.payload->>'time_zone'), min(r.event_time)
FROM ridehail.raw_events r
WHERE r.batch_id = $1 AND r.topic IN ('enriched_rides', 'user_events')
GROUP BY r.payload->>'city'
ON CONFLICT (city_code) DO UPDATE
  SET time_zone = coalesce(ridehail.dim_city.time_zone, EXCLUDED.time_zone),
      first_seen_at = least(ridehail.dim_city.first_seen_at, EXCLUDED.first_seen_at)
  WHERE ridehail.dim_city.time_zone IS DISTINCT FROM coalesce(ridehail.dim_city.time_zone, EXCLUDED.time_zone)
     OR EXCLUDED.first_seen_at < ridehail.dim_city.first_seen_at`,
  },
  {
    name: 'fct_ride_events',
    sql: `
INSERT INTO ridehail.fct_ride_events
  (event_id, ride_id, event_type, event_time, date_key, city_code, customer_id, driver_id, vehicle_id,
   lat, lon, cancelled_by, cancel_reason, fare_total, currency)
SELECT
  e.event_id, e.ride_id, e.event_type, e.event_time, to_char(e.event_time AT TIME ZONE 'UTC', 'YYYYMMDD')::integer,
  e.city, e.customer_id, e.driver_id, e.vehicle_id, e.lat, e.lon, e.cancelled_by, e.cancel_reason, e.fare_total, e.currency
FROM ridehail.stg_ride_events e
WHERE e.batch_id = $1
ON CONFLICT (event_id) DO NOTHING`,
  },
  {
    name: 'fct_rides',
    sql: `
INSERT INTO ridehail.fct_rides
  (ride_id, revision, city_code, customer_id, driver_id, vehicle_id, status, cancelled_by, cancel_reason,
   pickup_lat, pickup_lon, dropoff_lat, dropoff_lon, pickup_zone, dropoff_zone,
   requested_at, assigned_at, arrived_at, started_at, completed_at, cancelled_at, ended_at,
   wait_time_s, trip_duration_s, distance_km, distance_source,
   fare_base, fare_distance, fare_time, fare_total, currency, surge_multiplier, cost_per_km, cost_per_minute,
   payment_method, time_zone, local_date, date_key, hour_of_day, weekday, event_time, loaded_batch_id, updated_at)
SELECT DISTINCT ON (s.ride_id)
  s.ride_id, s.revision, s.city, s.customer_id, s.driver_id, s.vehicle_id, s.status, s.cancelled_by, s.cancel_reason,
  s.pickup_lat, s.pickup_lon, s.dropoff_lat, s.dropoff_lon, s.pickup_zone, s.dropoff_zone,
  s.requested_at, s.assigned_at, s.arrived_at, s.started_at, s.completed_at, s.cancelled_at, s.ended_at,
  s.wait_time_s, s.trip_duration_s, s.distance_km, s.distance_source,
  s.fare_base, s.fare_distance, s.fare_time, s.fare_total, s.currency, s.surge_multiplier, s.cost_per_km, s.cost_per_minute,
  s.payment_method, s.time_zone, s.local_date, to_char(s.local_date, 'YYYYMMDD')::integer, s.hour_of_day, s.weekday,
  s.event_time, s.batch_id, now()
FROM ridehail.stg_enriched_rides s
WHERE s.batch_id = $1
ORDER BY s.ride_id, s.revision DESC
ON CONFLICT (ride_id) DO UPDATE SET
  revision = EXCLUDED.revision, city_code = EXCLUDED.city_code, customer_id = EXCLUDED.customer_id,
  driver_id = EXCLUDED.driver_id, vehicle_id = EXCLUDED.vehicle_id, status = EXCLUDED.status,
  cancelled_by = EXCLUDED.cancelled_by, cancel_reason = EXCLUDED.cancel_reason,
  pickup_lat = EXCLUDED.pickup_lat, pickup_lon = EXCLUDED.pickup_lon, dropoff_lat = EXCLUDED.dropoff_lat,
  dropoff_lon = EXCLUDED.dropoff_lon, pickup_zone = EXCLUDED.pickup_zone, dropoff_zone = EXCLUDED.dropoff_zone,
  requested_at = EXCLUDED.requested_at, assigned_at = EXCLUDED.assigned_at, arrived_at = EXCLUDED.arrived_at,
  started_at = EXCLUDED.started_at, completed_at = EXCLUDED.completed_at, cancelled_at = EXCLUDED.cancelled_at,
  ended_at = EXCLUDED.ended_at, wait_time_s = EXCLUDED.wait_time_s, trip_duration_s = EXCLUDED.trip_duration_s,
  distance_km = EXCLUDED.distance_km, distance_source = EXCLUDED.distance_source, fare_base = EXCLUDED.fare_base,
  fare_distance = EXCLUDED.fare_distance, fare_time = EXCLUDED.fare_time, fare_total = EXCLUDED.fare_total,
  currency = EXCLUDED.currency, surge_multiplier = EXCLUDED.surge_multiplier, cost_per_km = EXCLUDED.cost_per_km,
  cost_per_minute = EXCLUDED.cost_per_minute, payment_method = EXCLUDED.payment_method,
  time_zone = EXCLUDED.time_zone, local_date = EXCLUDED.local_date, date_key = EXCLUDED.date_key,
  hour_of_day = EXCLUDED.hour_of_day, weekday = EXCLUDED.weekday, event_time = EXCLUDED.event_time,
  loaded_batch_id = EXCLUDED.loaded_batch_id, updated_at = now()
WHERE EXCLUDED.revision > ridehail.fct_rides.revision`,
  },
  {
    name: 'dim_zone',
    sql: `
INSERT INTO ridehail.dim_zone (zone_id, city_code, first_seen_at)
SELECT z.zone_id, min(z.city), min(z.seen_at)
FROM (
  SELECT s.pickup_zone AS zone_id, s.city, s.requested_at AS seen_at FROM ridehail.stg_enriched_rides s WHERE s.batch_id = $1
  UNION ALL
  SELECT s.dropoff_zone, s.city, s.requested_at FROM ridehail.stg_enriched_rides s WHERE s.batch_id = $1
) z
WHERE z.zone_id IS NOT NULL
GROUP BY z.zone_id
ON CONFLICT (zone_id) DO NOTHING`,
  },
  {
    name: 'dim_customer',
    sql: `
INSERT INTO ridehail.dim_customer
  (customer_id, city_code, name_hash, name_masked, phone_hash, phone_masked, email_hash, email_masked, preferred_payment, signed_up_at)
SELECT DISTINCT ON (u.user_id)
  u.user_id, u.city, u.name_hash, u.name_masked, u.phone_hash, u.phone_masked, u.email_hash, u.email_masked,
  u.preferred_payment, u.event_time
FROM ridehail.stg_user_events u
WHERE u.batch_id = $1 AND u.event_type = 'customer_signup'
ORDER BY u.user_id, u.event_time DESC
ON CONFLICT (customer_id) DO UPDATE SET
  city_code = EXCLUDED.city_code, name_hash = EXCLUDED.name_hash, name_masked = EXCLUDED.name_masked,
  phone_hash = EXCLUDED.phone_hash, phone_masked = EXCLUDED.phone_masked, email_hash = EXCLUDED.email_hash,
  email_masked = EXCLUDED.email_masked, preferred_payment = EXCLUDED.preferred_payment, signed_up_at = EXCLUDED.signed_up_at
WHERE EXCLUDED.signed_up_at > ridehail.dim_customer.signed_up_at`,
  },
  {
    name: 'int_driver_profiles',
    sql: `
INSERT INTO ridehail.int_driver_profiles
  (driver_id, city_code, name_hash, name_masked, phone_hash, phone_masked, email_hash, email_masked, license_hash, signed_up_at)
SELECT DISTINCT ON (u.user_id)
  u.user_id, u.city, u.name_hash, u.name_masked, u.phone_hash, u.phone_masked, u.email_hash, u.email_masked,
  u.license_hash, u.event_time
FROM ridehail.stg_user_events u
WHERE u.batch_id = $1 AND u.event_type = 'driver_signup'
ORDER BY u.user_id, u.event_time DESC
ON CONFLICT (driver_id) DO UPDATE SET
  city_code = EXCLUDED.city_code, name_hash = EXCLUDED.name_hash, name_masked = EXCLUDED.name_masked,
  phone_hash = EXCLUDED.phone_hash, phone_masked = EXCLUDED.phone_masked, email_hash = EXCLUDED.email_hash,
  email_masked = EXCLUDED.email_masked, license_hash = EXCLUDED.license_hash, signed_up_at = EXCLUDED.signed_up_at
WHERE EXCLUDED.signed_up_at > ridehail.int_driver_profiles.signed_up_at`,
  },
  {
    name: 'dim_vehicle',
    sql: `
INSERT INTO ridehail.dim_vehicle
  (vehicle_id, city_code, make, model, model_year, color, plate_masked, seats, last_driver_id, first_seen_at)
SELECT DISTINCT ON (v.vehicle_id)
  v.vehicle_id, v.city, v.make, v.model, v.model_year, v.color, v.plate_masked, v.seats, v.driver_id, v.first_seen_at
FROM (
  SELECT u.vehicle_id, u.city, u.vehicle_make AS make, u.vehicle_model AS model, u.vehicle_year AS model_year,
         u.vehicle_color AS color, u.vehicle_plate_masked AS plate_masked, u.vehicle_seats AS seats,
         u.user_id AS driver_id, u.event_time AS first_seen_at, 0 AS preference
  FROM ridehail.stg_user_events u
  WHERE u.batch_id = $1 AND u.event_type = 'driver_signup' AND u.vehicle_id IS NOT NULL
  UNION ALL
  SELECT e.vehicle_id, e.city, NULL, NULL, NULL, NULL, NULL, NULL, e.driver_id, e.event_time, 1
  FROM ridehail.stg_vehicle_events e
  WHERE e.batch_id = $1 AND e.event_type = 'vehicle_online'
) v
ORDER BY v.vehicle_id, v.preference, v.first_seen_at
ON CONFLICT (vehicle_id) DO UPDATE SET
  make = coalesce(EXCLUDED.make, ridehail.dim_vehicle.make),
  model = coalesce(EXCLUDED.model, ridehail.dim_vehicle.model),
  model_year = coalesce(EXCLUDED.model_year, ridehail.dim_vehicle.model_year),
  color = coalesce(EXCLUDED.color, ridehail.dim_vehicle.color),
  plate_masked = coalesce(EXCLUDED.plate_masked, ridehail.dim_vehicle.plate_masked),
  seats = coalesce(EXCLUDED.seats, ridehail.dim_vehicle.seats),
  last_driver_id = EXCLUDED.last_driver_id,
  first_seen_at = least(EXCLUDED.first_seen_at, ridehail.dim_vehicle.first_seen_at)`,
  },
  {
    name: 'fct_ratings',
    sql: `
INSERT INTO ridehail.fct_ratings (event_id, ride_id, rater_id, ratee_id, rater_role, rating, event_time, city_code)
SELECT u.event_id, u.ride_id, u.rater_id, u.ratee_id, u.rater_role, u.rating, u.event_time, u.city
FROM ridehail.stg_user_events u
WHERE u.batch_id = $1 AND u.event_type = 'rating_submitted'
ON CONFLICT (event_id) DO NOTHING`,
  },
  {
    name: 'int_driver_states',
    sql: `
INSERT INTO ridehail.int_driver_states (event_id, driver_id, event_time, vehicle_id, rating, batch_id)
SELECT s.event_id, s.driver_id, s.event_time, s.vehicle_id, s.rating, $1
FROM (
  SELECT u.event_id, u.user_id AS driver_id, u.event_time, u.vehicle_id, NULL::integer AS rating
  FROM ridehail.stg_user_events u WHERE u.batch_id = $1 AND u.event_type = 'driver_signup'
  UNION ALL
  SELECT e.event_id, e.driver_id, e.event_time, e.vehicle_id, NULL
  FROM ridehail.stg_vehicle_events e WHERE e.batch_id = $1 AND e.event_type = 'vehicle_online'
  UNION ALL
  SELECT u.event_id, u.ratee_id, u.event_time, NULL, u.rating
  FROM ridehail.stg_user_events u
  WHERE u.batch_id = $1 AND u.event_type = 'rating_submitted' AND u.rater_role = 'customer' AND u.ratee_id LIKE 'drv\\_%'
) s
ON CONFLICT (event_id) DO NOTHING`,
  },
];

/**
 * dim_driver (type 2) is derived from int_driver_states rather than patched per batch: for every
 * driver with states not yet applied, its versions are recomputed from its whole history, so a
 * late event lands in order. This runs after a load (and periodically under --follow) and on
 * refresh, in one REPEATABLE READ transaction so the states it marks as applied are exactly the
 * ones it read. It is a pure function of int_driver_states, which batches load exactly once.
 */
export const DRIVER_REBUILD_STEPS: readonly TransformStep[] = [
  {
    name: 'dim_driver_expire',
    sql: `
DELETE FROM ridehail.dim_driver d
USING (SELECT DISTINCT driver_id FROM ridehail.int_driver_states WHERE NOT rebuilt) t
WHERE d.driver_id = t.driver_id`,
  },
  {
    name: 'dim_driver',
    sql: `
WITH touched AS (
  SELECT DISTINCT driver_id FROM ridehail.int_driver_states WHERE NOT rebuilt
),
states AS (
  SELECT s.driver_id, s.event_id, s.event_time, s.vehicle_id,
         count(s.vehicle_id) OVER w AS vehicle_group,
         avg(s.rating) OVER w       AS avg_rating,
         count(s.rating) OVER w     AS ratings_count
  FROM ridehail.int_driver_states s
  JOIN touched USING (driver_id)
  WINDOW w AS (PARTITION BY s.driver_id ORDER BY s.event_time, s.event_id ROWS UNBOUNDED PRECEDING)
),
filled AS (
  SELECT st.driver_id, st.event_id, st.event_time, st.avg_rating, st.ratings_count,
         first_value(st.vehicle_id) OVER (PARTITION BY st.driver_id, st.vehicle_group ORDER BY st.event_time, st.event_id) AS vehicle_id,
         CASE WHEN st.avg_rating IS NULL THEN 'unrated'
              WHEN st.avg_rating >= 4.8 THEN 'excellent'
              WHEN st.avg_rating >= 4.5 THEN 'good'
              WHEN st.avg_rating >= 4.0 THEN 'fair'
              ELSE 'poor' END AS rating_band
  FROM states st
),
changes AS (
  SELECT f.*,
         lag(f.vehicle_id) OVER p  AS previous_vehicle,
         lag(f.rating_band) OVER p AS previous_band,
         row_number() OVER p       AS step
  FROM filled f
  WINDOW p AS (PARTITION BY f.driver_id ORDER BY f.event_time, f.event_id)
),
versions AS (
  SELECT c.driver_id, c.event_id, c.event_time AS valid_from, c.vehicle_id, c.rating_band, c.avg_rating, c.ratings_count,
         lead(c.event_time) OVER (PARTITION BY c.driver_id ORDER BY c.event_time, c.event_id) AS valid_to
  FROM changes c
  WHERE c.step = 1 OR c.vehicle_id IS DISTINCT FROM c.previous_vehicle OR c.rating_band IS DISTINCT FROM c.previous_band
)
INSERT INTO ridehail.dim_driver
  (driver_version_key, driver_id, city_code, vehicle_id, rating_band, avg_rating, ratings_count,
   name_hash, name_masked, phone_hash, phone_masked, email_hash, email_masked, license_hash, signed_up_at,
   valid_from, valid_to, is_current)
SELECT v.driver_id || ':' || v.event_id::text, v.driver_id, p.city_code, v.vehicle_id, v.rating_band,
       round(v.avg_rating, 3), v.ratings_count::integer,
       p.name_hash, p.name_masked, p.phone_hash, p.phone_masked, p.email_hash, p.email_masked, p.license_hash, p.signed_up_at,
       v.valid_from, v.valid_to, v.valid_to IS NULL
FROM versions v
LEFT JOIN ridehail.int_driver_profiles p USING (driver_id)`,
  },
  {
    name: 'dim_driver_mark_rebuilt',
    sql: 'UPDATE ridehail.int_driver_states SET rebuilt = true WHERE NOT rebuilt',
  },
];
