import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { LOADED_TOPICS } from './loader.js';
import { readOffsets, type StoredOffset } from './offsets.js';
import { pendingBatches } from './sink.js';

/** What `warehouse status` reports: table sizes, how far each source is loaded, and the lag. */
export const COUNTED_TABLES = [
  'raw_events', 'load_rejects', 'dim_date', 'dim_city', 'dim_zone', 'dim_customer', 'dim_vehicle', 'dim_driver',
  'fct_rides', 'fct_ride_events', 'fct_ratings', 'mart_city_hourly_kpis', 'mart_driver_daily', 'mart_cancellation_reasons',
] as const;

// Fixed text: the table list is a constant of this module, never input.
const COUNT_ROWS = COUNTED_TABLES.map((t) => `SELECT '${t}' AS table_name, count(*)::bigint AS row_count FROM ridehail.${t}`).join('\nUNION ALL\n');

export interface TableCount {
  table: string;
  rows: number;
}

export async function tableCounts(client: pg.ClientBase): Promise<TableCount[]> {
  const result = await client.query<{ table_name: string; row_count: string }>(COUNT_ROWS);
  return result.rows.map((r) => ({ table: r.table_name, rows: Number(r.row_count) }));
}

export interface PartitionLag {
  topic: string;
  partition: number;
  loaded: number;
  end: number;
  lag: number;
}

/** Pure: end offsets minus what the warehouse holds, per partition (a partition never loaded lags by all of it). */
export function computeLag(stored: readonly StoredOffset[], ends: readonly { topic: string; partition: number; high: number; low: number }[]): PartitionLag[] {
  return ends.map((end) => {
    const loaded = stored.find((s) => s.origin === 'kafka' && s.stream === end.topic && s.partition === end.partition)?.nextOffset ?? end.low;
    return { topic: end.topic, partition: end.partition, loaded, end: end.high, lag: Math.max(0, end.high - loaded) };
  });
}

export async function kafkaEndOffsets(kafka: Kafka): Promise<{ topic: string; partition: number; high: number; low: number }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ends: { topic: string; partition: number; high: number; low: number }[] = [];
    for (const topic of Object.keys(LOADED_TOPICS).filter((t) => existing.has(t))) {
      for (const p of await admin.fetchTopicOffsets(topic)) ends.push({ topic, partition: p.partition, high: Number(p.high), low: Number(p.low) });
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

export interface WarehouseStatus {
  tables: TableCount[];
  offsets: StoredOffset[];
  lastEventTime: Date | null;
  /** Batches staged but not yet turned into dimensions and facts (non-zero while a load runs). */
  pendingBatches: number;
  files: { sha256: string; path: string; lines: number; completedAt: Date | null }[];
  lag?: PartitionLag[];
  totalLag?: number;
  lagError?: string;
}

export async function warehouseStatus(client: pg.ClientBase, kafka?: Kafka): Promise<WarehouseStatus> {
  const tables = await tableCounts(client);
  const offsets = await readOffsets(client);
  const files = (
    await client.query<{ sha256: string; path: string; lines: string; completed_at: Date | null }>(
      'SELECT sha256, path, lines, completed_at FROM ridehail.loaded_files ORDER BY first_loaded_at',
    )
  ).rows.map((r) => ({ sha256: r.sha256, path: r.path, lines: Number(r.lines), completedAt: r.completed_at }));
  const lastEventTime = offsets.reduce<Date | null>((max, o) => (o.lastEventTime && (!max || o.lastEventTime > max) ? o.lastEventTime : max), null);
  const status: WarehouseStatus = { tables, offsets, lastEventTime, pendingBatches: await pendingBatches(client), files };
  if (kafka) {
    try {
      status.lag = computeLag(offsets, await kafkaEndOffsets(kafka));
      status.totalLag = status.lag.reduce((sum, l) => sum + l.lag, 0);
    } catch (error) {
      status.lagError = (error as Error).message;
    }
  }
  return status;
}
