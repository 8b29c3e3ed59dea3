-- 0003 facts.

-- Grain: one row per finished ride (completed or cancelled), the highest revision enrich wrote.
CREATE TABLE ridehail.fct_rides (
  ride_id          text PRIMARY KEY,
  revision         integer     NOT NULL,
  city_code        text        NOT NULL,
  customer_id      text        NOT NULL,
  driver_id        text,
  vehicle_id       text,
  status           text        NOT NULL CHECK (status IN ('completed', 'cancelled')),
  cancelled_by     text,
  cancel_reason    text,
  pickup_lat       double precision,
  pickup_lon       double precision,
  dropoff_lat      double precision,
  dropoff_lon      double precision,
  pickup_zone      text,
  dropoff_zone     text,
  requested_at     timestamptz NOT NULL,
  assigned_at      timestamptz,
  arrived_at       timestamptz,
  started_at       timestamptz,
  completed_at     timestamptz,
  cancelled_at     timestamptz,
  ended_at         timestamptz NOT NULL,
  wait_time_s      numeric,
  trip_duration_s  numeric,
  distance_km      numeric,
  distance_source  text,
  fare_base        numeric(12, 2),
  fare_distance    numeric(12, 2),
  fare_time        numeric(12, 2),
  fare_total       numeric(12, 2),
  currency         text,
  surge_multiplier numeric,
  cost_per_km      numeric,
  cost_per_minute  numeric,
  payment_method   text,
  time_zone        text        NOT NULL,
  local_date       date        NOT NULL,
  date_key         integer     NOT NULL,
  hour_of_day      integer     NOT NULL,
  weekday          integer     NOT NULL,
  event_time       timestamptz NOT NULL,
  loaded_batch_id  bigint      NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fct_rides_city_requested ON ridehail.fct_rides (city_code, requested_at);
CREATE INDEX fct_rides_driver_date ON ridehail.fct_rides (driver_id, local_date);

-- Grain: one row per ride lifecycle event (duplicates of one event share event_id and collapse).
CREATE TABLE ridehail.fct_ride_events (
  event_id      uuid PRIMARY KEY,
  ride_id       text        NOT NULL,
  event_type    text        NOT NULL,
  event_time    timestamptz NOT NULL,
  date_key      integer     NOT NULL,
  city_code     text        NOT NULL,
  customer_id   text        NOT NULL,
  driver_id     text,
  vehicle_id    text,
  lat           double precision,
  lon           double precision,
  cancelled_by  text,
  cancel_reason text,
  fare_total    numeric(12, 2),
  currency      text
);
CREATE INDEX fct_ride_events_ride ON ridehail.fct_ride_events (ride_id, event_time);

-- Grain: one row per rating submitted.
CREATE TABLE ridehail.fct_ratings (
  event_id   uuid PRIMARY KEY,
  ride_id    text        NOT NULL,
  rater_id   text        NOT NULL,
  ratee_id   text        NOT NULL,
  rater_role text        NOT NULL,
  rating     integer     NOT NULL,
  event_time timestamptz NOT NULL,
  city_code  text        NOT NULL
);
