/**
 * The shapes that flow between the Kafka adapter, the runner and the per-partition processors.
 * Offsets are numbers: a partition would need 2^53 records before that loses precision.
 */
export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Producer timestamp (ms): used only for latency measurement, never for event time. */
  timestamp: number;
}

export interface OutputRecord {
  topic: string;
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string>;
  /** Set only where the partition matters beyond the key hash (window partials, progress marks). */
  partition?: number;
}

/** One entry of a processor's state, as the changelog stores it; a null value deletes it. */
export interface StateEntry {
  key: string;
  value: string | null;
}

export function sourceId(tp: TopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}

export function parseSourceId(id: string): TopicPartition {
  const slash = id.lastIndexOf('/');
  return { topic: id.slice(0, slash), partition: Number(id.slice(slash + 1)) };
}
