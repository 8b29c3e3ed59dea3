import type pg from 'pg';
import type { Origin } from './loader.js';

/**
 * The warehouse's own record of how far each source has been loaded. It is written in the same
 * transaction as the rows, which is what makes the load exactly-once: after any crash, Postgres
 * holds both the rows and the offset, or neither.
 */
export interface StoredOffset {
  origin: Origin;
  stream: string;
  partition: number;
  nextOffset: number;
  recordsLoaded: number;
  lastEventTime: Date | null;
  updatedAt: Date;
}

/**
 * Locks the partition's offset row for the rest of the transaction and returns it. Two loaders
 * on one partition (a rebalance in flight, an operator starting a second copy) queue here, and
 * the second then sees the first's offset and skips what it loaded.
 */
export async function lockOffset(client: pg.ClientBase, origin: Origin, stream: string, partition: number): Promise<number> {
  await client.query(
    'INSERT INTO ridehail.load_offsets (origin, stream, partition) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [origin, stream, partition],
  );
  const result = await client.query<{ next_offset: string }>(
    'SELECT next_offset FROM ridehail.load_offsets WHERE origin = $1 AND stream = $2 AND partition = $3 FOR UPDATE',
    [origin, stream, partition],
  );
  return Number(result.rows[0]?.next_offset ?? 0);
}

export async function advanceOffset(
  client: pg.ClientBase,
  position: { origin: Origin; stream: string; partition: number },
  nextOffset: number,
  records: number,
  maxEventTimeMs: number | null,
): Promise<void> {
  await client.query(
    `UPDATE ridehail.load_offsets
        SET next_offset = greatest(next_offset, $4),
            records_loaded = records_loaded + $5,
            last_event_time = CASE WHEN $6::timestamptz IS NULL THEN last_event_time
                                   ELSE greatest(last_event_time, $6::timestamptz) END,
            updated_at = now()
      WHERE origin = $1 AND stream = $2 AND partition = $3`,
    [position.origin, position.stream, position.partition, nextOffset, records, maxEventTimeMs === null ? null : new Date(maxEventTimeMs).toISOString()],
  );
}

export async function readOffsets(client: pg.ClientBase, origin?: Origin, stream?: string): Promise<StoredOffset[]> {
  const result = await client.query<{
    origin: Origin; stream: string; partition: number; next_offset: string; records_loaded: string; last_event_time: Date | null; updated_at: Date;
  }>(
    `SELECT origin, stream, partition, next_offset, records_loaded, last_event_time, updated_at
       FROM ridehail.load_offsets
      WHERE ($1::text IS NULL OR origin = $1) AND ($2::text IS NULL OR stream = $2)
      ORDER BY origin, stream, partition`,
    [origin ?? null, stream ?? null],
  );
  return result.rows.map((r) => ({
    origin: r.origin,
    stream: r.stream,
    partition: r.partition,
    nextOffset: Number(r.next_offset),
    recordsLoaded: Number(r.records_loaded),
    lastEventTime: r.last_event_time,
    updatedAt: r.updated_at,
  }));
}
