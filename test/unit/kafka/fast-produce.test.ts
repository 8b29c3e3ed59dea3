import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc32c } from '../../../src/kafka/crc32c.js';
import { encodeProduceRequest, type ProduceMessage, type ProduceTopicData } from '../../../src/kafka/produce-encoding.js';
import { fastProduceStatus, groupMessagesPerPartition } from '../../../src/kafka/fast-produce.js';
import '../../../src/kafka/kafkajs.js';

const require = createRequire(import.meta.url);
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): { getHighBits(): number; getLowBits(): number }; fromInt(v: number): unknown };
type KafkajsRequest = (args: Record<string, unknown>) => { encode: () => Promise<{ buffer: Buffer }> };
const kafkajsRequest = (version: number): KafkajsRequest => require(`kafkajs/src/protocol/requests/produce/v${version}/request.js`) as KafkajsRequest;

const writeInt64 = (buf: Buffer, value: unknown, offset: number): void => {
  const long = Long.fromValue(value);
  buf.writeInt32BE(long.getHighBits(), offset);
  buf.writeInt32BE(long.getLowBits(), offset + 4);
};

const NOW = 1_767_600_000_123;

/** A deterministic byte source, so a failing case can be rerun. */
function bytes(seed: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function kafkajsBytes(version: number, args: Record<string, unknown>): Promise<Buffer> {
  vi.spyOn(Date, 'now').mockReturnValue(NOW);
  return Buffer.from((await kafkajsRequest(version)(args).encode()).buffer);
}

function ours(args: { transactionalId?: string | null; acks: number; timeout: number; producerId?: unknown; producerEpoch?: number; topicData: ProduceTopicData[] }): Buffer | undefined {
  return encodeProduceRequest({ ...args, producerId: args.producerId ?? -1, producerEpoch: args.producerEpoch ?? 0 }, NOW, writeInt64);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('CRC-32C by slicing-by-8', () => {
  it('agrees with kafkajs on every length from 0 to 300 bytes, and on a megabyte', () => {
    for (let length = 0; length <= 300; length++) {
      const data = bytes(length, length);
      expect(crc32c(data), `length ${length}`).toBe(kafkajsCrc32c(data));
    }
    const big = bytes(7, 1 << 20);
    expect(crc32c(big)).toBe(kafkajsCrc32c(big));
  });

  it('checks the standard test vector: "123456789" is 0xE3069283', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('covers only the range it is given', () => {
    const data = bytes(3, 100);
    expect(crc32c(data, 13, 91)).toBe(kafkajsCrc32c(data.subarray(13, 91)));
  });
});

describe('the one-pass produce request encoder', () => {
  const message = (i: number): ProduceMessage => ({ key: `ride-${i}`, value: `{"n":${i},"pad":"${'x'.repeat(i % 40)}"}` });

  it('writes what kafkajs writes for keyed text records on several topics and partitions', async () => {
    const topicData: ProduceTopicData[] = [
      { topic: 'ride_events', partitions: [{ partition: 0, firstSequence: 17, messages: Array.from({ length: 5 }, (_, i) => message(i)) }, { partition: 2, firstSequence: 0, messages: [message(9)] }] },
      { topic: 'vehicle_events', partitions: [{ partition: 1, firstSequence: 123_456, messages: Array.from({ length: 300 }, (_, i) => message(i)) }] },
    ];
    const args = { acks: -1, timeout: 30_000, producerId: Long.fromValue('4000000000123'), producerEpoch: 3, topicData };
    for (const version of [3, 5, 7]) expect(ours(args)!.equals(await kafkajsBytes(version, args)), `v${version}`).toBe(true);
  });

  it('writes what kafkajs writes for bytes, null keys and values, unicode, headers and a transactional id', async () => {
    const messages: ProduceMessage[] = [
      { key: bytes(1, 20), value: bytes(2, 200) },
      { key: null, value: 'no key' },
      { value: null, key: 'tombstone' },
      { key: 'São Paulo 東京', value: '{"city":"Zürich","rider":"Łukasz 😀"}' },
      { key: 'h', value: 'v', headers: { 'source.topic': 'ride_events', raw: bytes(3, 9), many: ['a', bytes(4, 2), 'ç'] } },
      { key: 'empty', value: '', headers: {} },
      { key: 'big', value: bytes(5, 20_000) },
    ];
    const args = {
      transactionalId: 'ridehail-enrich-ride_events-0', acks: -1, timeout: 5_000, producerId: Long.fromValue(42), producerEpoch: 7,
      topicData: [{ topic: 'enriched_rides', partitions: [{ partition: 4, firstSequence: 2, messages }] }],
    };
    expect(ours(args)!.equals(await kafkajsBytes(7, args))).toBe(true);
  });

  it('writes what kafkajs writes for a producer without idempotence (no producer id, no sequence)', async () => {
    const args = { acks: 1, timeout: 1_000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [message(1), message(2)] }] }] };
    expect(ours(args)!.equals(await kafkajsBytes(3, args))).toBe(true);
  });

  it('writes a valid record batch whose CRC covers attributes to the last record', () => {
    const body = ours({ acks: -1, timeout: 30_000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [message(1)] }] }] })!;
    // transactional id (2) acks (2) timeout (4) topics (4) topic (2 + 1) partitions (4) partition (4) size (4) base offset (8)
    const batchLengthAt = 2 + 2 + 4 + 4 + 3 + 4 + 4 + 4 + 8;
    const batchLength = body.readInt32BE(batchLengthAt);
    const magicAt = batchLengthAt + 4 + 4;
    expect(body[magicAt]).toBe(2);
    expect(body.length).toBe(batchLengthAt + 4 + batchLength);
    expect(body.readUInt32BE(magicAt + 1)).toBe(kafkajsCrc32c(body.subarray(magicAt + 5)));
  });

  it('leaves records with their own timestamps, or keys it cannot write exactly, to kafkajs', () => {
    const withTimestamp = [{ key: 'a', value: 'b', timestamp: '1767600000000' }];
    const withNumberKey = [{ key: 5 as unknown as string, value: 'b' }];
    const withUndefinedHeader = [{ key: 'a', value: 'b', headers: { h: undefined } }];
    for (const messages of [withTimestamp, withNumberKey, withUndefinedHeader]) {
      expect(ours({ acks: -1, timeout: 1, topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }] })).toBeUndefined();
    }
  });
});

describe('kafkajs with the fast produce path', () => {
  it('has both fixes in place in this process, since kafkajs loaded after them', () => {
    expect(fastProduceStatus()).toEqual({ encoder: true, linearGrouping: true });
    const sendMessagesGrouping = require('kafkajs/src/producer/groupMessagesPerPartition.js') as unknown;
    expect(sendMessagesGrouping).toBe(groupMessagesPerPartition);
  });

  it('groups messages per partition in their order, and gives nothing without partition metadata', () => {
    const messages = ['a0', 'b1', 'c0', 'd2', 'e1', 'f0'].map((value) => ({ value }));
    const partitioner = ({ message }: { message: unknown }): number => Number((message as { value: string }).value[1]);
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{}, {}, {}], messages, partitioner });
    expect(grouped).toEqual({ 0: [messages[0], messages[2], messages[5]], 1: [messages[1], messages[4]], 2: [messages[3]] });
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner })).toEqual({});
  });
});
