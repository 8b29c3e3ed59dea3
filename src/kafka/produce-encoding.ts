import { crc32c } from './crc32c.js';
import { writeUtf8 } from './utf8-write.js';

/**
 * The body of a Produce request (versions 3 to 7: transactional id, acks, timeout, then per topic
 * and partition one uncompressed v2 record batch), written in one pass into one buffer, byte for
 * byte what kafkajs 2.2.4 writes (protocol/requests/produce/v3/request.js and recordBatch/v0).
 *
 * kafkajs builds each record in an Encoder of its own (a zero-filled 512-byte buffer), spreads
 * every message into a new object, writes each varint through a temporary Buffer and copies the
 * whole batch three times; for the generator's 330-byte records that was most of the producer
 * thread. Only what kafkajs itself would produce is handled here — anything else (compression,
 * record timestamps, keys or values that are neither bytes nor text) returns undefined, and
 * kafkajs encodes it as before.
 */

export interface ProduceMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  timestamp?: string | number | null;
}

export interface ProducePartitionData {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}

export interface ProduceTopicData {
  topic: string;
  partitions: ProducePartitionData[];
}

/** Writes a signed 64-bit integer (kafkajs passes Longs, numbers or strings) big-endian. */
export type Int64Writer = (buf: Buffer, value: unknown, offset: number) => void;

export interface ProduceRequestData {
  transactionalId?: string | null;
  acks: number;
  timeout: number;
  producerId: unknown;
  producerEpoch: number;
  topicData: ProduceTopicData[];
}

const TRANSACTIONAL_ATTRIBUTE = 16;
const MAGIC = 2;
/** Record batch fields before the records: attributes … first sequence, then the record count. */
const BATCH_BODY_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
/** Partition id, record set size, base offset, batch length, leader epoch, magic, CRC. */
const PARTITION_HEADER = 4 + 4 + 8 + 4 + 4 + 1 + 4;


/** Bytes of a varint holding `value` zigzag-encoded (a signed 32-bit value). */
function varIntSize(value: number): number {
  let z = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (z >= 0x80) {
    bytes++;
    z >>>= 7;
  }
  return bytes;
}

function writeVarInt(buf: Buffer, value: number, offset: number): number {
  let z = ((value << 1) ^ (value >> 31)) >>> 0;
  while (z >= 0x80) {
    buf[offset++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[offset++] = z;
  return offset;
}

function byteLength(data: Buffer | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
}

function writeData(buf: Buffer, data: Buffer | string, offset: number): number {
  if (typeof data === 'string') return offset + writeUtf8(buf, data, offset);
  buf.set(data, offset);
  return offset + data.length;
}

interface Header {
  key: string;
  value: Buffer | string;
}

/** Shared by every record without headers (nearly all): no array allocated per record. */
const NO_HEADERS: readonly Header[] = [];

/** As kafkajs flattens a message's headers: one entry per value, arrays expanded; undefined when it could not encode them. */
function headersOf(message: ProduceMessage): readonly Header[] | undefined {
  const headers = message.headers;
  if (headers === undefined || headers === null) return NO_HEADERS;
  const out: Header[] = [];
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) return undefined;
      out.push({ key, value: v });
    }
  }
  return out;
}

/** Per record of one partition, measured once and written from: body size, key and value bytes (-1: null), headers. */
interface PartitionPlan {
  bodies: number[];
  keyBytes: number[];
  valueBytes: number[];
  headers: (readonly Header[] | null)[];
}

function isData(value: unknown): value is Buffer | string {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

/**
 * Sizes of one partition's records (each record's length prefix included), or undefined when
 * some message is not one this encoder writes exactly as kafkajs would.
 */
function recordSizes(messages: readonly ProduceMessage[], plan: PartitionPlan): number | undefined {
  let total = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.timestamp !== undefined && m.timestamp !== null) return undefined;
    const key = m.key;
    const value = m.value;
    if (key !== undefined && key !== null && !isData(key)) return undefined;
    if (value !== null && !isData(value)) return undefined;
    // attributes (1) and a timestamp delta of 0 (1); kafkajs writes each record's offset delta.
    let body = 2 + varIntSize(i);
    const keyBytes = key === undefined || key === null ? -1 : byteLength(key);
    const valueBytes = value === null ? -1 : byteLength(value);
    body += keyBytes < 0 ? 1 : varIntSize(keyBytes) + keyBytes;
    body += valueBytes < 0 ? 1 : varIntSize(valueBytes) + valueBytes;
    const headers = headersOf(m);
    if (headers === undefined) return undefined;
    body += varIntSize(headers.length);
    for (const h of headers) {
      const k = Buffer.byteLength(h.key, 'utf8');
      const v = byteLength(h.value);
      body += varIntSize(k) + k + varIntSize(v) + v;
    }
    plan.bodies[i] = body;
    plan.keyBytes[i] = keyBytes;
    plan.valueBytes[i] = valueBytes;
    plan.headers[i] = headers.length > 0 ? headers : null;
    total += varIntSize(body) + body;
  }
  return total;
}

function writeRecords(buf: Buffer, messages: readonly ProduceMessage[], plan: PartitionPlan, offset: number): number {
  let at = offset;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    at = writeVarInt(buf, plan.bodies[i]!, at);
    buf[at++] = 0; // attributes
    buf[at++] = 0; // timestamp delta: every record has the batch's timestamp
    at = writeVarInt(buf, i, at);
    // Lengths as sized: -1 writes a null key or value.
    at = writeVarInt(buf, plan.keyBytes[i]!, at);
    if (m.key !== undefined && m.key !== null) at = writeData(buf, m.key, at);
    at = writeVarInt(buf, plan.valueBytes[i]!, at);
    if (m.value !== null) at = writeData(buf, m.value, at);
    const headers = plan.headers[i];
    if (!headers) at = writeVarInt(buf, 0, at);
    else {
      at = writeVarInt(buf, headers.length, at);
      for (const h of headers) {
        at = writeVarInt(buf, Buffer.byteLength(h.key, 'utf8'), at);
        at += writeUtf8(buf, h.key, at);
        at = writeVarInt(buf, byteLength(h.value), at);
        at = writeData(buf, h.value, at);
      }
    }
  }
  return at;
}

/**
 * The request body, or undefined when kafkajs must encode it itself. `nowMs` is the batches'
 * timestamp (kafkajs takes Date.now() when no message carries one).
 */
export function encodeProduceRequest(request: ProduceRequestData, nowMs: number, writeInt64: Int64Writer): Buffer | undefined {
  const transactionalId = request.transactionalId ?? null;
  const plans: { plan: PartitionPlan; recordBytes: number }[][] = [];
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId, 'utf8')) + 2 + 4 + 4;
  for (const topic of request.topicData) {
    size += 2 + Buffer.byteLength(topic.topic, 'utf8') + 4;
    const partitionPlans: (typeof plans)[number] = [];
    for (const partition of topic.partitions) {
      const n = partition.messages.length;
      const plan: PartitionPlan = { bodies: new Array<number>(n), keyBytes: new Array<number>(n), valueBytes: new Array<number>(n), headers: new Array<readonly Header[] | null>(n) };
      const recordBytes = recordSizes(partition.messages, plan);
      if (recordBytes === undefined) return undefined;
      partitionPlans.push({ plan, recordBytes });
      size += PARTITION_HEADER + BATCH_BODY_HEADER + recordBytes;
    }
    plans.push(partitionPlans);
  }

  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  if (transactionalId === null) at = buf.writeInt16BE(-1, at);
  else {
    at = buf.writeInt16BE(Buffer.byteLength(transactionalId, 'utf8'), at);
    at += writeUtf8(buf, transactionalId, at);
  }
  at = buf.writeInt16BE(request.acks, at);
  at = buf.writeInt32BE(request.timeout, at);
  at = buf.writeInt32BE(request.topicData.length, at);
  const attributes = transactionalId ? TRANSACTIONAL_ATTRIBUTE : 0;
  request.topicData.forEach((topic, t) => {
    at = buf.writeInt16BE(Buffer.byteLength(topic.topic, 'utf8'), at);
    at += writeUtf8(buf, topic.topic, at);
    at = buf.writeInt32BE(topic.partitions.length, at);
    topic.partitions.forEach((partition, p) => {
      const { plan, recordBytes } = plans[t]![p]!;
      const batchBytes = 4 + 1 + 4 + BATCH_BODY_HEADER + recordBytes;
      at = buf.writeInt32BE(partition.partition, at);
      at = buf.writeInt32BE(8 + 4 + batchBytes, at);
      writeInt64(buf, 0, at); // base offset
      at += 8;
      at = buf.writeInt32BE(batchBytes, at);
      at = buf.writeInt32BE(0, at); // partition leader epoch
      buf[at++] = MAGIC;
      const crcAt = at;
      at += 4;
      const bodyStart = at;
      at = buf.writeInt16BE(attributes, at);
      at = buf.writeInt32BE(partition.messages.length - 1, at); // last offset delta
      writeInt64(buf, nowMs, at); // first timestamp
      writeInt64(buf, nowMs, at + 8); // max timestamp
      writeInt64(buf, request.producerId, at + 16);
      at += 24;
      at = buf.writeInt16BE(request.producerEpoch, at);
      at = buf.writeInt32BE(partition.firstSequence ?? 0, at);
      at = buf.writeInt32BE(partition.messages.length, at);
      at = writeRecords(buf, partition.messages, plan, at);
      buf.writeUInt32BE(crc32c(buf, bodyStart, at), crcAt);
    });
  });
  if (at !== size) throw new Error(`produce request encoding is off: wrote ${at} of ${size} bytes`);
  return buf;
}
