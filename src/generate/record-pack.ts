import { writeUtf8 } from '../kafka/utf8-write.js';
import type { OutRecord } from './records.js';

/**
 * Records packed into one buffer, to cross from the generator's thread to the Kafka producer's
 * thread as a transfer (no copy, no per-record structured clone). The UTF-8 encoding of keys and
 * values happens here, on the generator's side, so the producer thread only slices views.
 *
 * Layout per record: topic index (u8), key length (u16 LE), value length (u32 LE), key, value.
 */
export interface PackedRecords {
  /** Topic names; records refer to them by index. */
  topics: string[];
  buffer: ArrayBuffer;
  /** Bytes of `buffer` in use. */
  length: number;
  count: number;
}

const HEADER = 7;
const MAX_KEY_BYTES = 0xffff;
const INITIAL_CAPACITY = 1 << 20;

/** Keys are short ids: copied in a loop, no native call. -1 when one is not ASCII. */
function writeAscii(buf: Buffer, text: string, offset: number): number {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return -1;
    buf[offset + i] = code;
  }
  return length;
}

export class RecordPacker {
  private buf: Buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private offset = 0;
  private topicIndex = new Map<string, number>();
  private topics: string[] = [];
  count = 0;

  /** Bytes packed so far. */
  get size(): number {
    return this.offset;
  }

  add(record: OutRecord): void {
    let topic = this.topicIndex.get(record.topic);
    if (topic === undefined) {
      topic = this.topics.length;
      if (topic > 0xff) throw new Error('more than 256 topics in one batch');
      this.topics.push(record.topic);
      this.topicIndex.set(record.topic, topic);
    }
    // A UTF-16 code unit never takes more than 3 bytes of UTF-8: room for the worst case.
    const worst = HEADER + 3 * (record.key.length + record.value.length);
    if (this.offset + worst > this.buf.length) this.grow(this.offset + worst);
    const buf = this.buf;
    const at = this.offset;
    const key = record.key;
    let keyBytes = writeAscii(buf, key, at + HEADER);
    if (keyBytes < 0) keyBytes = writeUtf8(buf, key, at + HEADER);
    if (keyBytes > MAX_KEY_BYTES) throw new Error(`record key of ${keyBytes} bytes is longer than ${MAX_KEY_BYTES}`);
    const valueBytes = writeUtf8(buf, record.value, at + HEADER + keyBytes);
    buf[at] = topic;
    buf.writeUInt16LE(keyBytes, at + 1);
    buf.writeUInt32LE(valueBytes, at + 3);
    this.offset = at + HEADER + keyBytes + valueBytes;
    this.count++;
  }

  private grow(needed: number): void {
    let capacity = this.buf.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  }

  /** The records packed so far, handed over; the packer starts afresh. */
  take(): PackedRecords {
    const buf = this.buf;
    // Buffers from allocUnsafe above the pool size own their ArrayBuffer, from offset 0, so it can
    // be transferred whole; a pooled one (never made here) would have to be copied.
    const whole = buf.buffer as ArrayBuffer;
    const buffer = buf.byteOffset === 0 && whole.byteLength === buf.length ? whole : whole.slice(buf.byteOffset, buf.byteOffset + this.offset);
    const packed: PackedRecords = { topics: this.topics, buffer, length: this.offset, count: this.count };
    this.buf = Buffer.allocUnsafe(Math.max(INITIAL_CAPACITY, Math.min(buf.length, this.offset * 2)));
    this.offset = 0;
    this.count = 0;
    this.topics = [];
    this.topicIndex = new Map();
    return packed;
  }
}

export interface UnpackedMessage {
  key: Buffer;
  value: Buffer;
}

/** Per topic, the records in order, as views into the packed buffer. */
export function unpackRecords(packed: PackedRecords): Map<string, UnpackedMessage[]> {
  const buf = Buffer.from(packed.buffer, 0, packed.length);
  const byTopic = new Map<string, UnpackedMessage[]>();
  const lists = packed.topics.map((topic) => {
    const list: UnpackedMessage[] = [];
    byTopic.set(topic, list);
    return list;
  });
  let at = 0;
  for (let i = 0; i < packed.count; i++) {
    const list = lists[buf[at]!];
    const keyBytes = buf.readUInt16LE(at + 1);
    const valueBytes = buf.readUInt32LE(at + 3);
    const keyStart = at + HEADER;
    const valueStart = keyStart + keyBytes;
    at = valueStart + valueBytes;
    if (!list || at > packed.length) throw new Error(`packed records are corrupt at record ${i}`);
    list.push({ key: buf.subarray(keyStart, valueStart), value: buf.subarray(valueStart, at) });
  }
  for (const [topic, list] of byTopic) if (list.length === 0) byTopic.delete(topic);
  return byTopic;
}
