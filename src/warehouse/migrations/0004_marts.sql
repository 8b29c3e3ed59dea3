-- 0004 marts: materialized views rebuilt by `ridehail warehouse refresh`, plus the per-minute
-- city metrics view that must equal what `ridehail enrich` streams to ride_metrics_1m.

-- Grain: one row per city per local hour of request (the city's own clock, from enrich).
CREATE MATERIALIZED VIEW ridehail.mart_city_hourly_kpis AS
SELECT
  r.city_code,
  r.local_date,
  r.hour_of_day,
  count(*)::integer                                                   AS rides,
  count(*) FILTER (WHERE r.status = 'completed')::integer             AS rides_completed,
  count(*) FILTER (WHERE r.status = 'cancelled')::integer             AS rides_cancelled,
  round(count(*) FILTER (WHERE r.status = 'cancelled')::numeric / count(*), 4) AS cancellation_rate,
  coalesce(sum(r.fare_total) FILTER (WHERE r.status = 'completed'), 0) AS revenue,
  min(r.currency)                                                     AS currency,
  round(avg(r.fare_total) FILTER (WHERE r.status = 'completed'), 2)   AS avg_fare,
  round(avg(r.wait_time_s), 1)                                        AS avg_wait_s,
  round(avg(r.trip_duration_s), 1)                                    AS avg_trip_s,
  round(avg(r.distance_km) FILTER (WHERE r.status = 'completed'), 3)  AS avg_distance_km,
  round(avg(r.surge_multiplier) FILTER (WHERE r.status = 'completed'), 3) AS avg_surge,
  count(DISTINCT r.driver_id)::integer                                AS active_drivers
FROM ridehail.fct_rides r
GROUP BY r.city_code, r.local_date, r.hour_of_day;
CREATE UNIQUE INDEX mart_city_hourly_kpis_key ON ridehail.mart_city_hourly_kpis (city_code, local_date, hour_of_day);

-- Grain: one row per driver per local date. Online time comes from vehicle events: each event
-- of a vehicle that is not offline counts until the vehicle's next event, capped at ten minutes
-- (a longer silence means we lost sight of it, not that it was working).
CREATE MATERIALIZED VIEW ridehail.mart_driver_daily AS
WITH vehicle_intervals AS (
  SELECT
    v.driver_id,
    v.city,
    v.event_time,
    v.status,
    least(
      extract(epoch FROM lead(v.event_time) OVER (PARTITION BY v.vehicle_id ORDER BY v.event_time, v.event_id) - v.event_time),
      600
    ) AS seconds
  FROM ridehail.stg_vehicle_events v
),
online AS (
  SELECT
    i.driver_id,
    (i.event_time AT TIME ZONE coalesce(c.time_zone, 'UTC'))::date AS local_date,
    sum(i.seconds) FILTER (WHERE i.status <> 'offline') AS online_seconds
  FROM vehicle_intervals i
  LEFT JOIN ridehail.dim_city c ON c.city_code = i.city
  WHERE i.seconds IS NOT NULL
  GROUP BY 1, 2
),
rides AS (
  SELECT
    r.driver_id,
    r.local_date,
    min(r.city_code)                                                 AS city_code,
    count(*) FILTER (WHERE r.status = 'completed')::integer          AS rides_completed,
    count(*) FILTER (WHERE r.status = 'cancelled' AND r.cancelled_by = 'driver')::integer AS rides_cancelled_by_driver,
    coalesce(sum(r.fare_total) FILTER (WHERE r.status = 'completed'), 0) AS earnings,
    min(r.currency)                                                  AS currency,
    coalesce(sum(r.trip_duration_s), 0)                              AS trip_seconds,
    coalesce(sum(r.distance_km) FILTER (WHERE r.status = 'completed'), 0) AS distance_km
  FROM ridehail.fct_rides r
  WHERE r.driver_id IS NOT NULL
  GROUP BY r.driver_id, r.local_date
)
SELECT
  coalesce(r.driver_id, o.driver_id)                    AS driver_id,
  coalesce(r.local_date, o.local_date)                  AS local_date,
  r.city_code,
  coalesce(r.rides_completed, 0)                        AS rides_completed,
  coalesce(r.rides_cancelled_by_driver, 0)              AS rides_cancelled_by_driver,
  coalesce(r.earnings, 0)                               AS earnings,
  r.currency,
  coalesce(r.trip_seconds, 0)                           AS trip_seconds,
  coalesce(r.distance_km, 0)                            AS distance_km,
  coalesce(o.online_seconds, 0)                         AS online_seconds,
  -- Capped at 1: trips can outlast the online time we saw when pings were lost.
  CASE WHEN coalesce(o.online_seconds, 0) > 0
       THEN least(round(coalesce(r.trip_seconds, 0) / o.online_seconds, 4), 1) END AS utilisation
FROM rides r
FULL JOIN online o ON o.driver_id = r.driver_id AND o.local_date = r.local_date;
CREATE UNIQUE INDEX mart_driver_daily_key ON ridehail.mart_driver_daily (driver_id, local_date);

-- Grain: one row per city, local date, who cancelled and why.
CREATE MATERIALIZED VIEW ridehail.mart_cancellation_reasons AS
SELECT
  r.city_code,
  r.local_date,
  r.cancelled_by,
  r.cancel_reason,
  count(*)::integer AS cancellations,
  round(count(*)::numeric / sum(count(*)) OVER (PARTITION BY r.city_code, r.local_date), 4) AS share_of_day,
  round(avg(extract(epoch FROM r.cancelled_at - r.requested_at)), 1) AS avg_seconds_to_cancel,
  count(*) FILTER (WHERE r.driver_id IS NOT NULL)::integer AS after_assignment
FROM ridehail.fct_rides r
WHERE r.status = 'cancelled'
GROUP BY r.city_code, r.local_date, r.cancelled_by, r.cancel_reason;
CREATE UNIQUE INDEX mart_cancellation_reasons_key ON ridehail.mart_cancellation_reasons (city_code, local_date, cancelled_by, cancel_reason);

-- Grain: one row per city per UTC minute in which a ride step happened. The fields derivable
-- from finished rides, defined as in ride_metrics.schema.json: each step counts in the minute of
-- its own event time (request, driver arrival, completion, cancellation), and rounded as enrich
-- rounds them. p90_fare is nearest-rank (rank ceil(0.9 n)), which is percentile_disc(0.9).
-- Not here: drivers_online, drivers_on_trip, utilisation (vehicle state) and revision.
CREATE VIEW ridehail.mart_city_metrics_1m AS
WITH steps AS (
  SELECT city_code, date_trunc('minute', requested_at, 'UTC') AS window_start, 'requested' AS step,
         NULL::numeric AS fare, NULL::text AS currency, NULL::numeric AS seconds, NULL::numeric AS surge
  FROM ridehail.fct_rides
  UNION ALL
  SELECT city_code, date_trunc('minute', arrived_at, 'UTC'), 'arrived', NULL, NULL, wait_time_s, NULL
  FROM ridehail.fct_rides WHERE arrived_at IS NOT NULL AND wait_time_s IS NOT NULL
  UNION ALL
  SELECT city_code, date_trunc('minute', completed_at, 'UTC'), 'completed', fare_total, currency, trip_duration_s, surge_multiplier
  FROM ridehail.fct_rides WHERE status = 'completed'
  UNION ALL
  SELECT city_code, date_trunc('minute', cancelled_at, 'UTC'), 'cancelled', NULL, NULL, NULL, NULL
  FROM ridehail.fct_rides WHERE status = 'cancelled'
)
SELECT
  s.city_code                                                        AS city,
  s.window_start,
  s.window_start + interval '1 minute'                               AS window_end,
  count(*) FILTER (WHERE s.step = 'requested')::integer              AS rides_requested,
  count(*) FILTER (WHERE s.step = 'completed')::integer              AS rides_completed,
  count(*) FILTER (WHERE s.step = 'cancelled')::integer              AS rides_cancelled,
  round(
    count(*) FILTER (WHERE s.step = 'cancelled')::numeric
      / nullif(count(*) FILTER (WHERE s.step IN ('completed', 'cancelled')), 0),
    4)                                                               AS cancellation_rate,
  round(coalesce(sum(s.fare) FILTER (WHERE s.step = 'completed'), 0), 2) AS revenue,
  min(s.currency) FILTER (WHERE s.step = 'completed')                AS currency,
  round(avg(s.fare) FILTER (WHERE s.step = 'completed'), 2)          AS avg_fare,
  percentile_disc(0.9) WITHIN GROUP (ORDER BY s.fare) FILTER (WHERE s.step = 'completed') AS p90_fare,
  round(avg(s.seconds) FILTER (WHERE s.step = 'arrived'), 1)         AS avg_wait_s,
  round(avg(s.seconds) FILTER (WHERE s.step = 'completed'), 1)       AS avg_trip_s,
  round(avg(s.surge) FILTER (WHERE s.step = 'completed'), 3)         AS avg_surge
FROM steps s
GROUP BY s.city_code, s.window_start;
