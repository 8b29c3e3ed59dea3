/**
 * Two fixes to kafkajs 2.2.4's producer hot path, for every producer of the toolkit (generate's
 * sink, enrich's transactional writers, produce, the tests):
 *
 * 1. Produce requests (v3 and later, uncompressed) are encoded by produce-encoding.ts in one pass
 *    into one buffer instead of by kafkajs's per-record Encoders. The bytes are the same; kafkajs
 *    still builds the request, sends it, decodes the response and keeps the idempotent sequence.
 *    Broker.produce is replaced by a copy of itself that swaps only the request's encode(); a
 *    request the encoder does not take (compression, record timestamps) keeps kafkajs's own.
 * 2. kafkajs groups a batch's messages per partition with `[...current, message]` for each
 *    message: quadratic in the messages per partition, and about 2 GB of short-lived arrays per
 *    million 330-byte records in batches of 2,000. Its module is swapped for a linear one with the
 *    same result. That needs it done before kafkajs's producer module is loaded, so this module is
 *    imported by src/kafka/kafkajs.ts ahead of kafkajs; where kafkajs was loaded first, only the
 *    first fix applies.
 *
 * Both check the kafkajs version and leave any other alone.
 */
import { createRequire } from 'node:module';
import { encodeProduceRequest, type ProduceRequestData, type ProduceTopicData } from './produce-encoding.js';

const require = createRequire(import.meta.url);
const KNOWN_VERSION = '2.2.4';
const MARK = Symbol.for('ridehail.kafkajs.fastProduce');
const GROUPING_MARK = Symbol.for('ridehail.kafkajs.linearGrouping');

interface Long {
  getHighBits(): number;
  getLowBits(): number;
}
interface LongClass {
  fromValue(value: unknown): Long;
}
interface EncoderLike {
  buf: Buffer;
  offset: number;
}
interface ProtocolRequest {
  request: { apiVersion: number; encode: () => Promise<EncoderLike> };
}
interface BrokerLike {
  lookupRequest(apiKey: number, definition: unknown): (args: Record<string, unknown>) => ProtocolRequest;
  [key: symbol]: unknown;
}
interface ProduceArgs {
  topicData: ProduceTopicData[];
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  acks?: number;
  timeout?: number;
  compression?: number;
}

function kafkajsVersion(): string | undefined {
  try {
    return (require('kafkajs/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

function kafkajsModule<T>(path: string): T {
  return require(require.resolve(`kafkajs/src/${path}`)) as T;
}

type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;

/** kafkajs's groupMessagesPerPartition with the same result, in linear time. */
export function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: Partitioner }): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

function installLinearGrouping(): boolean {
  const sendMessagesPath = require.resolve('kafkajs/src/producer/sendMessages.js');
  const groupingPath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
  const cached = require.cache[groupingPath];
  if (cached && (cached.exports as Record<symbol, unknown>)[GROUPING_MARK] === true) return true;
  if (require.cache[sendMessagesPath]) return false;
  require(groupingPath);
  const entry = require.cache[groupingPath];
  if (!entry) return false;
  Object.defineProperty(groupMessagesPerPartition, GROUPING_MARK, { value: true });
  entry.exports = groupMessagesPerPartition;
  return true;
}

function installEncoder(): boolean {
  const Broker = kafkajsModule<{ prototype: Record<string | symbol, unknown> }>('broker/index.js');
  const proto = Broker.prototype;
  if (proto[MARK] === true) return true;
  const sendRequest = Object.getOwnPropertySymbols(proto).find((s) => s.description === 'private:Broker:sendRequest');
  if (sendRequest === undefined || typeof proto['produce'] !== 'function') return false;
  const apiKeys = kafkajsModule<{ Produce: number }>('protocol/requests/apiKeys.js');
  const { requests } = kafkajsModule<{ requests: { Produce: unknown } }>('protocol/requests/index.js');
  const { Types: Compression } = kafkajsModule<{ Types: { None: number } }>('protocol/message/compression/index.js');
  const Long = kafkajsModule<LongClass>('utils/long.js');
  const Encoder = kafkajsModule<new (initialSize?: number) => EncoderLike>('protocol/encoder.js');

  // As kafkajs's Encoder.writeInt64 does it, so Longs, numbers and strings all come out the same.
  const writeInt64 = (buf: Buffer, value: unknown, offset: number): void => {
    const long = Long.fromValue(value);
    buf.writeInt32BE(long.getHighBits(), offset);
    buf.writeInt32BE(long.getLowBits(), offset + 4);
  };

  // kafkajs's own Broker.produce (src/broker/index.js), with the request's encode() swapped.
  proto['produce'] = async function produce(this: BrokerLike, args: ProduceArgs): Promise<unknown> {
    const { topicData, transactionalId, producerId, producerEpoch, acks = -1, timeout = 30000, compression = Compression.None } = args;
    const produceRequest = this.lookupRequest(apiKeys.Produce, requests.Produce);
    const protocol = produceRequest({ acks, timeout, compression, topicData, transactionalId, producerId, producerEpoch });
    if (protocol.request.apiVersion >= 3 && compression === Compression.None) {
      const ownEncode = protocol.request.encode;
      const data: ProduceRequestData = {
        transactionalId,
        acks,
        timeout,
        // The request's own defaults (produce/v3/request.js) for an idempotence-free producer.
        producerId: producerId ?? -1,
        producerEpoch: producerEpoch ?? 0,
        topicData,
      };
      protocol.request.encode = async () => {
        const body = encodeProduceRequest(data, Date.now(), writeInt64);
        if (body === undefined) return ownEncode();
        const encoder = new Encoder(0);
        encoder.buf = body;
        encoder.offset = body.length;
        return encoder;
      };
    }
    return (this[sendRequest] as (request: ProtocolRequest) => Promise<unknown>).call(this, protocol);
  };
  Object.defineProperty(proto, MARK, { value: true });
  return true;
}

export interface FastProduceStatus {
  encoder: boolean;
  linearGrouping: boolean;
}

let status: FastProduceStatus = { encoder: false, linearGrouping: false };

export function installFastProduce(): FastProduceStatus {
  if (kafkajsVersion() !== KNOWN_VERSION) return status;
  status = { linearGrouping: installLinearGrouping(), encoder: installEncoder() };
  return status;
}

/** For the tests and benchmarks: which of the two fixes hold in this process. */
export function fastProduceStatus(): FastProduceStatus {
  return status;
}

installFastProduce();
