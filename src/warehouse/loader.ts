import { validate, validatorFor, type SchemaId } from '../contract/validate.js';
// The contract's validators compiled with a faster date-time check and the same verdicts (enrich
// made them for its own hot path; every record here carries at least one date-time, an enriched
// ride eight).
import { CopyRows, copyText, jsonCopyText, prefixedCopyChunks, type RowPlace } from './copy.js';
import { pseudonymiseEvent } from './pii.js';

/**
 * Pure planning for `warehouse load`: from source records (a Kafka message or a line of a file)
 * to staged rows and batches. Nothing here talks to Postgres or Kafka.
 *
 * A position is (origin, stream, partition, offset): for Kafka the topic, partition and offset;
 * for a file the sha256 of its content, partition 0 and the line number (0-based). Positions are
 * what load_offsets records, so a file plays by the same exactly-once rules as a topic.
 */
export type Origin = 'kafka' | 'file';

export interface SourceRecord {
  origin: Origin;
  stream: string;
  partition: number;
  offset: number;
  /** The topic the value belongs to: the Kafka topic, or a JSON Lines record's "topic". */
  topic: string;
  key: string | null;
  /** The record's value as text (JSON), or null for a tombstone. */
  value: string | null;
  /** The value already parsed, where the source had to parse it anyway (a JSON Lines file). */
  parsed?: unknown;
}

export interface StagedRow {
  offset: number;
  topic: string;
  key: string | null;
  eventId: string | null;
  eventType: string | null;
  eventTimeMs: number;
  /** JSON.stringify of the value with personal data already replaced. */
  payload: string;
  /**
   * The row's COPY text from the offset to the event time, escaped and tab-terminated; the
   * payload follows it. The columns every row of a batch shares (batch id, origin, stream,
   * partition) are written once per batch, at COPY time (see stagedCopyChunks).
   */
  copyFields: string;
}

/** A row in a batch: its position and event time; its COPY text is in the batch's store. */
export interface BatchRow extends RowPlace {
  offset: number;
  eventTimeMs: number;
}

export interface Rejected {
  offset: number;
  topic: string | null;
  reason: string;
}

export type Prepared = { kind: 'row'; row: StagedRow } | { kind: 'rejected'; rejected: Rejected } | { kind: 'ignored'; offset: number };

/** The topics the warehouse keeps, with the contract each must satisfy. */
export const LOADED_TOPICS: Readonly<Record<string, SchemaId>> = {
  ride_events: 'ride_events.schema.json',
  user_events: 'user_events.schema.json',
  vehicle_events: 'vehicle_events.schema.json',
  enriched_rides: 'enriched_rides.schema.json',
};

const SCHEMA_OF: ReadonlyMap<string, SchemaId> = new Map(Object.entries(LOADED_TOPICS));

export function isLoadedTopic(topic: string): boolean {
  return SCHEMA_OF.has(topic);
}

/**
 * Why JSON.parse refused a text, without the excerpt of it V8 quotes in some messages
 * (`Unexpected token 'Z', "Zelda Quixote" is not valid JSON`, or `..."…"...` around the
 * position): the text may be personal data in clear, and the reason is stored.
 */
export function jsonErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /^(.*?)(?:, )?(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s.exec(message);
  if (!quoted) return message;
  return quoted[1] ? `${quoted[1]} (not valid JSON)` : 'not valid JSON';
}

function reject(record: SourceRecord, reason: string, topic: string | null = record.topic): Prepared {
  return { kind: 'rejected', rejected: { offset: record.offset, topic, reason: reason.slice(0, 500) } };
}

/**
 * Checks a record against its topic's schema and pseudonymises it. A record that breaks the
 * contract is rejected (and its position still counts as consumed, or it would block its
 * partition forever); a topic the warehouse does not keep is ignored.
 */
export function prepareRecord(record: SourceRecord, salt: string): Prepared {
  if (!isLoadedTopic(record.topic)) return { kind: 'ignored', offset: record.offset };
  let value: unknown = record.parsed;
  if (value === undefined) {
    if (record.value === null) return reject(record, 'tombstone (null value)');
    try {
      value = JSON.parse(record.value);
    } catch (error) {
      return reject(record, `not JSON: ${jsonErrorReason(error)}`);
    }
  }
  return stageValue(record, value, salt);
}

/** One line of `generate --out`: {"topic","key","value"} where value is the event object. */
export function fileLineToRecord(line: string, stream: string, lineNumber: number): SourceRecord | { error: string; offset: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return { error: `line ${lineNumber + 1} is not JSON: ${jsonErrorReason(error)}`, offset: lineNumber };
  }
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { topic?: unknown }).topic !== 'string') {
    return { error: `line ${lineNumber + 1} has no "topic"`, offset: lineNumber };
  }
  const { topic, key, value } = parsed as { topic: string; key?: unknown; value?: unknown };
  const base = {
    origin: 'file' as const,
    stream,
    partition: 0,
    offset: lineNumber,
    topic,
    key: typeof key === 'string' ? key : key === undefined || key === null ? null : JSON.stringify(key),
  };
  if (value === undefined || value === null) return { ...base, value: null };
  // A value written as a JSON string is parsed by prepareRecord; an object is passed on parsed.
  return typeof value === 'string' ? { ...base, value } : { ...base, value: null, parsed: value };
}

/**
 * prepareRecord for one line of `generate --out`, i.e. fileLineToRecord then prepareRecord, with
 * the line parsed once and no intermediate record: this runs for every line of a file.
 */
export function prepareFileLine(line: string, stream: string, lineNumber: number, salt: string): Prepared {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return { kind: 'rejected', rejected: { offset: lineNumber, topic: null, reason: `line ${lineNumber + 1} is not JSON: ${jsonErrorReason(error)}` } };
  }
  const topic = parsed !== null && typeof parsed === 'object' ? (parsed as { topic?: unknown }).topic : undefined;
  if (typeof topic !== 'string') {
    return { kind: 'rejected', rejected: { offset: lineNumber, topic: null, reason: `line ${lineNumber + 1} has no "topic"` } };
  }
  if (!isLoadedTopic(topic)) return { kind: 'ignored', offset: lineNumber };
  const { key, value } = parsed as { key?: unknown; value?: unknown };
  const record: SourceRecord = {
    origin: 'file', stream, partition: 0, offset: lineNumber, topic,
    key: typeof key === 'string' ? key : key === undefined || key === null ? null : JSON.stringify(key),
    value: null,
  };
  if (value === undefined || value === null) return reject(record, 'tombstone (null value)');
  if (typeof value !== 'string') return stageValue(record, value, salt);
  let inner: unknown;
  try {
    inner = JSON.parse(value);
  } catch (error) {
    return reject(record, `not JSON: ${jsonErrorReason(error)}`);
  }
  return stageValue(record, inner, salt);
}

/** Canonical toISOString() form: such an event_time goes to COPY as written. */
const ISO_UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function stageValue(record: SourceRecord, value: unknown, salt: string): Prepared {
  if (value === null) return reject(record, 'tombstone (null value)');
  const schema = SCHEMA_OF.get(record.topic) as SchemaId;
  // The compiled validator alone on the happy path; the contract's validate(), which words the
  // errors, only for a record it refuses.
  if (!validatorFor(schema)(value)) {
    const result = validate(schema, value);
    return reject(record, `${schema}: ${result.ok ? 'is invalid' : result.errors.join('; ')}`);
  }
  const event = value as unknown as Record<string, unknown>;
  const eventTimeText = event['event_time'];
  const eventTime = typeof eventTimeText === 'string' ? Date.parse(eventTimeText) : Number.NaN;
  if (!Number.isFinite(eventTime)) return reject(record, 'event_time is not a timestamp');
  const isEnriched = record.topic === 'enriched_rides';
  const eventId = isEnriched ? null : String(event['event_id']);
  const eventType = isEnriched ? String(event['status']) : String(event['event_type']);
  const payload = JSON.stringify(pseudonymiseEvent(record.topic, event, salt));
  const eventTimeIso = ISO_UTC_MS.test(eventTimeText as string) ? (eventTimeText as string) : new Date(eventTime).toISOString();
  // copyLine's format, written out: this runs for every row. The topic is one of LOADED_TOPICS.
  const copyFields =
    `${record.offset}\t${record.topic}\t${record.key === null ? '\\N' : copyText(record.key)}\t` +
    `${eventId === null ? '\\N' : copyText(eventId)}\t${copyText(eventType)}\t${eventTimeIso}\t`;
  return {
    kind: 'row',
    row: { offset: record.offset, topic: record.topic, key: record.key, eventId, eventType, eventTimeMs: eventTime, payload, copyFields },
  };
}

/** Everything one transaction loads: consecutive records of one partition. */
export interface Batch {
  origin: Origin;
  stream: string;
  partition: number;
  /** Offset of the first record; earlier offsets are already in the warehouse or never existed. */
  firstOffset: number;
  /** The offset after the last record: what load_offsets.next_offset becomes. */
  nextOffset: number;
  rows: BatchRow[];
  /** The rows' COPY text, encoded as they were added; shared with the batch's unloadedPart. */
  store: CopyRows;
  rejected: Rejected[];
  ignored: number;
}

export function emptyBatch(origin: Origin, stream: string, partition: number, firstOffset: number): Batch {
  return { origin, stream, partition, firstOffset, nextOffset: firstOffset, rows: [], store: new CopyRows(), rejected: [], ignored: 0 };
}

export function addToBatch(batch: Batch, prepared: Prepared): void {
  const offset = prepared.kind === 'row' ? prepared.row.offset : prepared.kind === 'rejected' ? prepared.rejected.offset : prepared.offset;
  if (batchSize(batch) === 0) batch.firstOffset = offset;
  else if (offset < batch.nextOffset) throw new Error(`offsets must increase within a batch (${offset} after ${batch.nextOffset - 1})`);
  if (prepared.kind === 'row') {
    const { row } = prepared;
    const place = batch.store.append(row.copyFields, jsonCopyText(row.payload));
    batch.rows.push({ offset: row.offset, eventTimeMs: row.eventTimeMs, chunk: place.chunk, start: place.start, end: place.end });
  } else if (prepared.kind === 'rejected') batch.rejected.push(prepared.rejected);
  else batch.ignored += 1;
  batch.nextOffset = offset + 1;
}

export function batchSize(batch: Batch): number {
  return batch.rows.length + batch.rejected.length + batch.ignored;
}

/**
 * The part of a batch the warehouse does not hold yet, given the stored next offset: a replay
 * after a crash (Kafka redelivers, a file is read again) drops exactly what was committed.
 */
export function unloadedPart(batch: Batch, storedNextOffset: number): Batch {
  if (storedNextOffset <= batch.firstOffset) return batch;
  return {
    ...batch,
    firstOffset: Math.max(batch.firstOffset, storedNextOffset),
    nextOffset: Math.max(batch.nextOffset, storedNextOffset),
    rows: batch.rows.filter((r) => r.offset >= storedNextOffset),
    rejected: batch.rejected.filter((r) => r.offset >= storedNextOffset),
    // Ignored records carry no data; only their offsets matter, and nextOffset covers those.
    ignored: 0,
  };
}

export const RAW_COPY_COLUMNS = [
  'batch_id', 'origin', 'stream', 'partition', 'offset', 'topic', 'record_key', 'event_id', 'event_type', 'event_time', 'payload',
] as const;

/** The columns every row of the batch shares, in RAW_COPY_COLUMNS order, tab-terminated. */
function sharedColumns(batch: Batch, batchId: number): string {
  return `${batchId}\t${batch.origin}\t${copyText(batch.stream)}\t${batch.partition}\t`;
}

/** The COPY stream of the batch's rows, in RAW_COPY_COLUMNS order. */
export function stagedCopyChunks(batch: Batch, batchId: number): Iterable<Buffer> {
  return prefixedCopyChunks(sharedColumns(batch, batchId), batch.store, batch.rows);
}

/** COPY text lines of the batch's rows, in RAW_COPY_COLUMNS order (what stagedCopyChunks streams, line by line). */
export function stagedCopyLines(batch: Batch, batchId: number): Iterable<string> {
  const prefix = sharedColumns(batch, batchId);
  return (function* () {
    for (const row of batch.rows) yield prefix + (batch.store.chunks[row.chunk] as Buffer).toString('utf8', row.start, row.end);
  })();
}

export function maxEventTimeMs(batch: Batch): number | null {
  let max: number | null = null;
  for (const row of batch.rows) if (max === null || row.eventTimeMs > max) max = row.eventTimeMs;
  return max;
}

export interface LoadTotals {
  batches: number;
  rows: number;
  rejected: number;
  ignored: number;
  /** Records skipped because the warehouse already held them (a replay). */
  alreadyLoaded: number;
}

export function zeroTotals(): LoadTotals {
  return { batches: 0, rows: 0, rejected: 0, ignored: 0, alreadyLoaded: 0 };
}
