import type pg from 'pg';

/**
 * The warehouse's invariants, in dbt's singular-test style: each is a query selecting the rows
 * that break it, so "passing" means zero rows and the query itself shows what went wrong.
 */
export interface Check {
  name: string;
  description: string;
  /** Selects the offending rows (at most a sample is fetched). */
  sql: string;
}

export const CHECKS: readonly Check[] = [
  {
    name: 'assert_fare_total_equals_parts',
    description: 'a completed ride\'s fare_total is round((base + distance + time) × surge, 2), or more only where the minimum fare applied',
    sql: `SELECT ride_id, fare_base, fare_distance, fare_time, surge_multiplier, fare_total
          FROM ridehail.fct_rides
          WHERE status = 'completed'
            AND (fare_total IS NULL
                 OR fare_total < round((fare_base + fare_distance + fare_time) * surge_multiplier, 2) - 0.01)`,
  },
  {
    name: 'assert_ride_ended_matches_status',
    description: 'ended_at is completed_at for completed rides and cancelled_at for cancelled ones, never before requested_at',
    sql: `SELECT ride_id, status, requested_at, completed_at, cancelled_at, ended_at
          FROM ridehail.fct_rides
          WHERE ended_at < requested_at
             OR (status = 'completed' AND (completed_at IS DISTINCT FROM ended_at OR cancelled_at IS NOT NULL))
             OR (status = 'cancelled' AND (cancelled_at IS DISTINCT FROM ended_at OR completed_at IS NOT NULL))`,
  },
  {
    name: 'assert_ride_steps_in_order',
    description: 'requested ≤ assigned ≤ arrived ≤ started ≤ completed wherever the steps happened',
    sql: `SELECT ride_id, requested_at, assigned_at, arrived_at, started_at, completed_at
          FROM ridehail.fct_rides
          WHERE assigned_at < requested_at OR arrived_at < assigned_at OR started_at < arrived_at OR completed_at < started_at`,
  },
  {
    name: 'assert_one_current_row_per_driver',
    description: 'every driver in dim_driver has exactly one current version',
    sql: `SELECT driver_id, count(*) FILTER (WHERE is_current) AS current_rows
          FROM ridehail.dim_driver
          GROUP BY driver_id
          HAVING count(*) FILTER (WHERE is_current) <> 1`,
  },
  {
    name: 'assert_driver_versions_contiguous',
    description: 'a driver\'s versions neither overlap nor leave gaps: each valid_to is the next valid_from',
    sql: `SELECT driver_id, valid_from, valid_to, next_from
          FROM (
            SELECT driver_id, valid_from, valid_to, is_current,
                   lead(valid_from) OVER (PARTITION BY driver_id ORDER BY valid_from, driver_version_key) AS next_from
            FROM ridehail.dim_driver
          ) v
          WHERE valid_to IS DISTINCT FROM next_from OR (valid_to IS NULL) <> is_current OR valid_to < valid_from`,
  },
  {
    name: 'assert_pii_pseudonymised',
    description: 'customer and driver personal fields hold 64-hex hashes and masked forms only',
    sql: `SELECT 'customer' AS kind, customer_id AS id FROM ridehail.dim_customer
          WHERE name_hash !~ '^[0-9a-f]{64}$' OR phone_hash !~ '^[0-9a-f]{64}$' OR email_hash !~ '^[0-9a-f]{64}$'
             OR position('*' IN name_masked) = 0 OR position('*' IN phone_masked) = 0 OR position('*' IN email_masked) = 0
          UNION ALL
          SELECT 'driver', driver_id FROM ridehail.int_driver_profiles
          WHERE name_hash !~ '^[0-9a-f]{64}$' OR phone_hash !~ '^[0-9a-f]{64}$' OR email_hash !~ '^[0-9a-f]{64}$'
             OR license_hash !~ '^[0-9a-f]{64}$' OR position('*' IN name_masked) = 0`,
  },
  {
    name: 'assert_staging_within_offsets',
    description: 'no staged record lies at or beyond its partition\'s stored next offset (rows and offsets commit together)',
    sql: `SELECT r.origin, r.stream, r.partition, max(r."offset") AS max_offset, o.next_offset
          FROM ridehail.raw_events r
          LEFT JOIN ridehail.load_offsets o USING (origin, stream, partition)
          GROUP BY r.origin, r.stream, r.partition, o.next_offset
          HAVING o.next_offset IS NULL OR max(r."offset") >= o.next_offset`,
  },
  {
    name: 'assert_rides_have_known_city',
    description: 'every ride\'s city is in dim_city',
    sql: `SELECT r.ride_id, r.city_code FROM ridehail.fct_rides r
          LEFT JOIN ridehail.dim_city c ON c.city_code = r.city_code
          WHERE c.city_code IS NULL`,
  },
];

export interface CheckResult {
  name: string;
  description: string;
  passed: boolean;
  failures: number;
  sample: Record<string, unknown>[];
}

export async function runChecks(client: pg.ClientBase, only?: readonly string[]): Promise<CheckResult[]> {
  const selected = only && only.length > 0 ? CHECKS.filter((c) => only.includes(c.name)) : CHECKS;
  const results: CheckResult[] = [];
  for (const check of selected) {
    const rows = (await client.query<Record<string, unknown>>(check.sql)).rows;
    results.push({ name: check.name, description: check.description, passed: rows.length === 0, failures: rows.length, sample: rows.slice(0, 5) });
  }
  return results;
}
