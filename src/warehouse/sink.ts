import type pg from 'pg';
import { copyBuffersInto } from './copy.js';
import { RAW_COPY_COLUMNS, maxEventTimeMs, stagedCopyChunks, unloadedPart, type Batch } from './loader.js';
import { advanceOffset, lockOffset } from './offsets.js';
import { DRIVER_REBUILD_STEPS, TRANSFORM_STEPS } from './transforms.js';

/**
 * The Postgres side of a load, in two exactly-once steps (extract-load, then transform):
 *
 * - applyBatch, one transaction per batch: lock the partition's offset, drop what is already
 *   loaded, COPY the rest into staging, record the batch as pending, advance the offset, commit.
 * - transformBatch, one transaction per staged batch, on another connection so it overlaps the
 *   next batch's COPY: run the set-based transforms for the batch and mark it transformed.
 *
 * A crash anywhere before a COMMIT leaves nothing of that step behind; a batch staged but not
 * yet transformed is picked up by the next load (or refresh).
 */
const COPY_RAW = `COPY ridehail.raw_events (${RAW_COPY_COLUMNS.map((c) => (c === 'offset' ? '"offset"' : c)).join(', ')}) FROM STDIN`;

export interface BatchResult {
  batchId: number | null;
  rows: number;
  rejected: number;
  ignored: number;
  alreadyLoaded: number;
  nextOffset: number;
}

export interface ApplyOptions {
  /** Test seam: called after the COPY and before the transforms, to crash inside a transaction. */
  afterCopy?: (batchId: number) => Promise<void> | void;
}

export async function applyBatch(client: pg.ClientBase, batch: Batch, options: ApplyOptions = {}): Promise<BatchResult> {
  await client.query('BEGIN');
  try {
    const stored = await lockOffset(client, batch.origin, batch.stream, batch.partition);
    const todo = unloadedPart(batch, stored);
    const alreadyLoaded = batch.rows.length + batch.rejected.length - todo.rows.length - todo.rejected.length;
    if (todo.nextOffset <= stored) {
      await client.query('ROLLBACK');
      return { batchId: null, rows: 0, rejected: 0, ignored: 0, alreadyLoaded, nextOffset: stored };
    }
    const idResult = await client.query<{ id: string }>("SELECT nextval('ridehail.load_batch_seq') AS id");
    const batchId = Number(idResult.rows[0]?.id);
    if (todo.rows.length > 0) {
      await copyBuffersInto(client, COPY_RAW, stagedCopyChunks(todo, batchId));
      await options.afterCopy?.(batchId);
      await client.query(
        'INSERT INTO ridehail.load_batches (batch_id, origin, stream, partition, rows) VALUES ($1, $2, $3, $4, $5)',
        [batchId, todo.origin, todo.stream, todo.partition, todo.rows.length],
      );
    }
    for (const rejected of todo.rejected) {
      await client.query(
        `INSERT INTO ridehail.load_rejects (origin, stream, partition, "offset", topic, reason, batch_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [todo.origin, todo.stream, todo.partition, rejected.offset, rejected.topic, rejected.reason, batchId],
      );
    }
    await advanceOffset(client, todo, todo.nextOffset, todo.rows.length, maxEventTimeMs(todo));
    await client.query('COMMIT');
    return { batchId, rows: todo.rows.length, rejected: todo.rejected.length, ignored: todo.ignored, alreadyLoaded, nextOffset: todo.nextOffset };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Any constant the rebuilders agree on: one rebuild at a time. */
export const DRIVER_REBUILD_LOCK_KEY = 7_294_002;

/**
 * Applies pending driver states to dim_driver (see DRIVER_REBUILD_STEPS). The lock is taken at
 * session level before the transaction starts, so the REPEATABLE READ snapshot is taken after
 * any previous rebuild committed. Returns the number of dim_driver rows written.
 */
export async function rebuildDrivers(client: pg.ClientBase): Promise<number> {
  await client.query('SELECT pg_advisory_lock($1)', [DRIVER_REBUILD_LOCK_KEY]);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    try {
      let written = 0;
      for (const step of DRIVER_REBUILD_STEPS) {
        const result = await client.query(step.sql);
        if (step.name === 'dim_driver') written = result.rowCount ?? 0;
      }
      await client.query('COMMIT');
      return written;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [DRIVER_REBUILD_LOCK_KEY]).catch(() => undefined);
  }
}

/**
 * Transforms the oldest staged batch nobody else is transforming (SKIP LOCKED: several loaders
 * share the work). Returns its id, or null when none is pending. The upserts do not depend on the
 * order batches are transformed in (highest revision wins, latest signup wins, first insert of an
 * event wins), so a batch transformed late still lands right.
 */
export async function transformNextBatch(client: pg.ClientBase): Promise<number | null> {
  await client.query('BEGIN');
  try {
    const next = await client.query<{ batch_id: string }>(
      `SELECT batch_id FROM ridehail.load_batches WHERE transformed_at IS NULL
        ORDER BY batch_id LIMIT 1 FOR UPDATE SKIP LOCKED`,
    );
    const row = next.rows[0];
    if (!row) {
      await client.query('COMMIT');
      return null;
    }
    const batchId = Number(row.batch_id);
    for (const step of TRANSFORM_STEPS) await client.query(step.sql, [batchId]);
    await client.query('UPDATE ridehail.load_batches SET transformed_at = now() WHERE batch_id = $1', [batchId]);
    await client.query('COMMIT');
    return batchId;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export async function pendingBatches(client: pg.ClientBase): Promise<number> {
  const result = await client.query<{ n: string }>('SELECT count(*) AS n FROM ridehail.load_batches WHERE transformed_at IS NULL');
  return Number(result.rows[0]?.n ?? 0);
}
