-- 0002 dimensions. Personal data (names, phones, emails, licence numbers, plates) reaches the
-- warehouse only as keyed hashes (for joins) and masked display forms: the loader pseudonymises
-- it before the COPY, so not even staging holds it in clear.

-- Grain: one row per calendar date, 2020-01-01 to 2035-12-31.
CREATE TABLE ridehail.dim_date (
  date_key     integer PRIMARY KEY,
  date         date    NOT NULL UNIQUE,
  year         integer NOT NULL,
  quarter      integer NOT NULL,
  month        integer NOT NULL,
  day          integer NOT NULL,
  iso_weekday  integer NOT NULL,
  is_weekend   boolean NOT NULL,
  month_name   text    NOT NULL
);
INSERT INTO ridehail.dim_date
SELECT
  to_char(d, 'YYYYMMDD')::integer,
  d::date,
  extract(year FROM d)::integer,
  extract(quarter FROM d)::integer,
  extract(month FROM d)::integer,
  extract(day FROM d)::integer,
  extract(isodow FROM d)::integer,
  extract(isodow FROM d) IN (6, 7),
  trim(to_char(d, 'Month'))
FROM generate_series(date '2020-01-01', date '2035-12-31', interval '1 day') AS d;

-- Grain: one row per city code seen in any event.
CREATE TABLE ridehail.dim_city (
  city_code     text PRIMARY KEY,
  time_zone     text,
  first_seen_at timestamptz NOT NULL
);

-- Grain: one row per H3 cell (resolution 8) seen as a pickup or drop-off zone.
CREATE TABLE ridehail.dim_zone (
  zone_id       text PRIMARY KEY,
  city_code     text NOT NULL,
  first_seen_at timestamptz NOT NULL
);

-- Grain: one row per customer (type 1: a later signup overwrites).
CREATE TABLE ridehail.dim_customer (
  customer_id       text PRIMARY KEY,
  city_code         text NOT NULL,
  name_hash         text NOT NULL,
  name_masked       text NOT NULL,
  phone_hash        text NOT NULL,
  phone_masked      text NOT NULL,
  email_hash        text NOT NULL,
  email_masked      text NOT NULL,
  preferred_payment text,
  signed_up_at      timestamptz NOT NULL
);

-- Grain: one row per vehicle (type 1).
CREATE TABLE ridehail.dim_vehicle (
  vehicle_id     text PRIMARY KEY,
  city_code      text NOT NULL,
  make           text,
  model          text,
  model_year     integer,
  color          text,
  plate_masked   text,
  seats          integer,
  last_driver_id text,
  first_seen_at  timestamptz NOT NULL
);

-- Intermediate, incremental. Grain: one row per driver signup (the profile, pseudonymised).
CREATE TABLE ridehail.int_driver_profiles (
  driver_id    text PRIMARY KEY,
  city_code    text NOT NULL,
  name_hash    text NOT NULL,
  name_masked  text NOT NULL,
  phone_hash   text NOT NULL,
  phone_masked text NOT NULL,
  email_hash   text NOT NULL,
  email_masked text NOT NULL,
  license_hash text NOT NULL,
  signed_up_at timestamptz NOT NULL
);

-- Intermediate, incremental. Grain: one row per event that can change a driver's tracked
-- attributes: a signup or a vehicle going online (the vehicle) and a rating received (the band).
-- dim_driver is rebuilt from it for the drivers with states not yet applied (rebuilt = false),
-- so late events land in order in the history.
CREATE TABLE ridehail.int_driver_states (
  event_id   uuid PRIMARY KEY,
  driver_id  text        NOT NULL,
  event_time timestamptz NOT NULL,
  vehicle_id text,
  rating     integer,
  batch_id   bigint      NOT NULL,
  rebuilt    boolean     NOT NULL DEFAULT false
);
CREATE INDEX int_driver_states_driver ON ridehail.int_driver_states (driver_id, event_time);
CREATE INDEX int_driver_states_pending ON ridehail.int_driver_states (driver_id) WHERE NOT rebuilt;

-- Slowly changing dimension, type 2. Grain: one row per driver per version, where a new version
-- starts whenever the driver's vehicle or rating band changes. valid_to is exclusive and null on
-- the current row. driver_version_key is the driver id plus the event that started the version,
-- so a rebuild reproduces the same keys.
CREATE TABLE ridehail.dim_driver (
  driver_version_key text PRIMARY KEY,
  driver_id     text        NOT NULL,
  city_code     text,
  vehicle_id    text,
  rating_band   text        NOT NULL,
  avg_rating    numeric(4, 3),
  ratings_count integer     NOT NULL,
  name_hash     text,
  name_masked   text,
  phone_hash    text,
  phone_masked  text,
  email_hash    text,
  email_masked  text,
  license_hash  text,
  signed_up_at  timestamptz,
  valid_from    timestamptz NOT NULL,
  valid_to      timestamptz,
  is_current    boolean     NOT NULL
);
CREATE INDEX dim_driver_driver ON ridehail.dim_driver (driver_id, valid_from);
