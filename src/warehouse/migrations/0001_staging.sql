-- 0001 staging: where events land exactly as received (PII already pseudonymised by the loader),
-- and the load bookkeeping that makes loading exactly-once.

CREATE SCHEMA IF NOT EXISTS ridehail;

-- Source table (dbt: a `source`, not a model). Grain: one row per consumed record, i.e. per
-- (origin, stream, partition, offset). The unique key is the last line of defence against a
-- record loaded twice; the offset fence in load_offsets is the first.
CREATE TABLE ridehail.raw_events (
  batch_id    bigint      NOT NULL,
  origin      text        NOT NULL CHECK (origin IN ('kafka', 'file')),
  -- Kafka: the topic; file: the sha256 of the file's content.
  stream      text        NOT NULL,
  partition   integer     NOT NULL,
  "offset"    bigint      NOT NULL,
  topic       text        NOT NULL,
  record_key  text,
  event_id    text,
  event_type  text,
  event_time  timestamptz NOT NULL,
  payload     jsonb       NOT NULL,
  loaded_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT raw_events_source_position UNIQUE (origin, stream, partition, "offset")
);
-- Each batch's set-based transforms read back exactly the rows of one topic its COPY wrote.
CREATE INDEX raw_events_batch ON ridehail.raw_events (batch_id, topic);

CREATE SEQUENCE ridehail.load_batch_seq;

-- Grain: one row per staged batch. Staging a batch and modelling it are two transactions, each
-- exactly once: the loader inserts the row with the staged rows and offsets; the transformer
-- sets transformed_at in the transaction that writes the batch's dimensions and facts.
CREATE TABLE ridehail.load_batches (
  batch_id       bigint      PRIMARY KEY,
  origin         text        NOT NULL,
  stream         text        NOT NULL,
  partition      integer     NOT NULL,
  rows           integer     NOT NULL,
  staged_at      timestamptz NOT NULL DEFAULT now(),
  transformed_at timestamptz
);
CREATE INDEX load_batches_pending ON ridehail.load_batches (batch_id) WHERE transformed_at IS NULL;

-- Grain: one row per (origin, stream, partition). next_offset is written in the same transaction
-- as the rows it covers, so it is never ahead of or behind what the warehouse holds.
CREATE TABLE ridehail.load_offsets (
  origin          text        NOT NULL,
  stream          text        NOT NULL,
  partition       integer     NOT NULL,
  next_offset     bigint      NOT NULL DEFAULT 0,
  records_loaded  bigint      NOT NULL DEFAULT 0,
  last_event_time timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (origin, stream, partition)
);

-- Grain: one row per record refused by the contract (schema or JSON). Only the reason is kept:
-- the value may be a malformed profile with personal data in clear.
CREATE TABLE ridehail.load_rejects (
  origin     text        NOT NULL,
  stream     text        NOT NULL,
  partition  integer     NOT NULL,
  "offset"   bigint      NOT NULL,
  topic      text,
  reason     text        NOT NULL,
  batch_id   bigint      NOT NULL,
  loaded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (origin, stream, partition, "offset")
);

-- Grain: one row per distinct file content loaded with --from FILE.
CREATE TABLE ridehail.loaded_files (
  sha256          text        PRIMARY KEY,
  path            text        NOT NULL,
  lines           bigint      NOT NULL,
  first_loaded_at timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz
);

-- Staging models: typed, renamed views over raw_events, one per topic. Grain: one row per record.
CREATE VIEW ridehail.stg_ride_events AS
SELECT
  r.batch_id,
  r.event_id::uuid                        AS event_id,
  r.event_type,
  r.event_time,
  r.payload->>'city'                      AS city,
  r.payload->>'ride_id'                   AS ride_id,
  r.payload->>'customer_id'               AS customer_id,
  r.payload->>'driver_id'                 AS driver_id,
  r.payload->>'vehicle_id'                AS vehicle_id,
  (r.payload->'location'->>'lat')::double precision AS lat,
  (r.payload->'location'->>'lon')::double precision AS lon,
  r.payload->>'cancelled_by'              AS cancelled_by,
  r.payload->>'reason'                    AS cancel_reason,
  (r.payload->'fare'->>'total')::numeric  AS fare_total,
  r.payload->'fare'->>'currency'          AS currency
FROM ridehail.raw_events r
WHERE r.topic = 'ride_events';

CREATE VIEW ridehail.stg_user_events AS
SELECT
  r.batch_id,
  r.event_id::uuid                                AS event_id,
  r.event_type,
  r.event_time,
  r.payload->>'city'                              AS city,
  r.payload->>'user_id'                           AS user_id,
  r.payload->'profile'->>'name_hash'              AS name_hash,
  r.payload->'profile'->>'name_masked'            AS name_masked,
  r.payload->'profile'->>'phone_hash'             AS phone_hash,
  r.payload->'profile'->>'phone_masked'           AS phone_masked,
  r.payload->'profile'->>'email_hash'             AS email_hash,
  r.payload->'profile'->>'email_masked'           AS email_masked,
  r.payload->'profile'->>'license_hash'           AS license_hash,
  r.payload->'profile'->>'preferred_payment'      AS preferred_payment,
  r.payload->'profile'->'vehicle'->>'vehicle_id'  AS vehicle_id,
  r.payload->'profile'->'vehicle'->>'make'        AS vehicle_make,
  r.payload->'profile'->'vehicle'->>'model'       AS vehicle_model,
  (r.payload->'profile'->'vehicle'->>'year')::integer  AS vehicle_year,
  r.payload->'profile'->'vehicle'->>'color'       AS vehicle_color,
  r.payload->'profile'->'vehicle'->>'plate_masked' AS vehicle_plate_masked,
  (r.payload->'profile'->'vehicle'->>'seats')::integer AS vehicle_seats,
  r.payload->>'ride_id'                           AS ride_id,
  r.payload->>'rater_id'                          AS rater_id,
  r.payload->>'ratee_id'                          AS ratee_id,
  r.payload->>'rater_role'                        AS rater_role,
  (r.payload->>'rating')::integer                 AS rating
FROM ridehail.raw_events r
WHERE r.topic = 'user_events';

CREATE VIEW ridehail.stg_vehicle_events AS
SELECT
  r.batch_id,
  r.event_id::uuid                         AS event_id,
  r.event_type,
  r.event_time,
  r.payload->>'city'                       AS city,
  r.payload->>'vehicle_id'                 AS vehicle_id,
  r.payload->>'driver_id'                  AS driver_id,
  r.payload->>'status'                     AS status,
  (r.payload->'location'->>'lat')::double precision AS lat,
  (r.payload->'location'->>'lon')::double precision AS lon
FROM ridehail.raw_events r
WHERE r.topic = 'vehicle_events';

CREATE VIEW ridehail.stg_enriched_rides AS
SELECT
  r.batch_id,
  r.payload->>'ride_id'                         AS ride_id,
  (r.payload->>'revision')::integer             AS revision,
  r.payload->>'city'                            AS city,
  r.payload->>'customer_id'                     AS customer_id,
  r.payload->>'driver_id'                       AS driver_id,
  r.payload->>'vehicle_id'                      AS vehicle_id,
  r.payload->>'status'                          AS status,
  r.payload->>'cancelled_by'                    AS cancelled_by,
  r.payload->>'cancel_reason'                   AS cancel_reason,
  (r.payload->'pickup'->>'lat')::double precision  AS pickup_lat,
  (r.payload->'pickup'->>'lon')::double precision  AS pickup_lon,
  (r.payload->'dropoff'->>'lat')::double precision AS dropoff_lat,
  (r.payload->'dropoff'->>'lon')::double precision AS dropoff_lon,
  r.payload->>'pickup_zone'                     AS pickup_zone,
  r.payload->>'dropoff_zone'                    AS dropoff_zone,
  (r.payload->>'requested_at')::timestamptz     AS requested_at,
  (r.payload->>'assigned_at')::timestamptz      AS assigned_at,
  (r.payload->>'arrived_at')::timestamptz       AS arrived_at,
  (r.payload->>'started_at')::timestamptz       AS started_at,
  (r.payload->>'completed_at')::timestamptz     AS completed_at,
  (r.payload->>'cancelled_at')::timestamptz     AS cancelled_at,
  (r.payload->>'ended_at')::timestamptz         AS ended_at,
  (r.payload->>'wait_time_s')::numeric          AS wait_time_s,
  (r.payload->>'trip_duration_s')::numeric      AS trip_duration_s,
  (r.payload->>'distance_km')::numeric          AS distance_km,
  r.payload->>'distance_source'                 AS distance_source,
  (r.payload->>'fare_base')::numeric            AS fare_base,
  (r.payload->>'fare_distance')::numeric        AS fare_distance,
  (r.payload->>'fare_time')::numeric            AS fare_time,
  (r.payload->>'fare_total')::numeric           AS fare_total,
  r.payload->>'currency'                        AS currency,
  (r.payload->>'surge_multiplier')::numeric     AS surge_multiplier,
  (r.payload->>'cost_per_km')::numeric          AS cost_per_km,
  (r.payload->>'cost_per_minute')::numeric      AS cost_per_minute,
  r.payload->>'payment_method'                  AS payment_method,
  r.payload->>'time_zone'                       AS time_zone,
  (r.payload->>'local_date')::date              AS local_date,
  (r.payload->>'hour_of_day')::integer          AS hour_of_day,
  (r.payload->>'weekday')::integer              AS weekday,
  r.event_time
FROM ridehail.raw_events r
WHERE r.topic = 'enriched_rides';
