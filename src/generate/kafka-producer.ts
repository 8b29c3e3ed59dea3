import type { Kafka, Producer } from 'kafkajs';
import type { KafkaSettings } from '../config/config.js';
import { topicByName, type TopicSpec } from '../contract/topics.js';
import { ensureTopics, withAdmin } from '../kafka/admin.js';
import { createKafka } from '../kafka/client.js';
import { partitionForKey } from './murmur2.js';
import { unpackRecords, type PackedRecords } from './record-pack.js';

/**
 * The kafkajs side of the Kafka sink. It runs on a thread of its own (kafka-worker.ts) so that
 * encoding produce requests, which kafkajs does in JavaScript, overlaps with the simulation
 * instead of taking turns with it; or inline, where the worker script is not available (sources run
 * by the test runner). Either way it is driven by the same requests, one at a time per kind.
 */

export type ProducerRequest =
  | { op: 'connect' }
  | { op: 'ensureTopics'; topics: string[]; partitions: number }
  | { op: 'send'; packed: PackedRecords }
  | { op: 'close' };

export interface ProducerSetup {
  settings: KafkaSettings;
  clientId: string;
}

/** An error crossing the thread boundary keeps its name and message (kafkajs names say what failed). */
export interface SerializedError {
  name: string;
  message: string;
}

/** Kafka's default partitioner for keyed records, without kafkajs's per-record Long arithmetic. */
function keyPartitioner() {
  let roundRobin = 0;
  return ({ partitionMetadata, message }: { partitionMetadata: { partitionId: number; leader: number }[]; message: { key?: Buffer | string | null } }): number => {
    const key = message.key;
    if (key === null || key === undefined) {
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      const from = available.length > 0 ? available : partitionMetadata;
      return from[roundRobin++ % from.length]!.partitionId;
    }
    return partitionForKey(typeof key === 'string' ? Buffer.from(key) : key, partitionMetadata.length);
  };
}

export class ProducerCore {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  /** Sends run strictly one after another: a later batch must never overtake a retried one. */
  private sending: Promise<void> = Promise.resolve();

  constructor(setup: ProducerSetup) {
    // Connection retries belong to the sink (it reports them); kafkajs retries sends.
    this.kafka = createKafka(setup.settings, { clientId: setup.clientId, retries: 0, connectionTimeout: 3_000 });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: keyPartitioner,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
  }

  async handle(request: ProducerRequest): Promise<number | string[] | undefined> {
    switch (request.op) {
      case 'connect':
        try {
          await this.producer.connect();
        } catch (error) {
          await this.producer.disconnect().catch(() => undefined);
          throw error;
        }
        return undefined;
      case 'ensureTopics':
        return this.ensureTopics(request.topics, request.partitions);
      case 'send':
        return this.send(request.packed);
      case 'close':
        await this.sending.catch(() => undefined);
        await this.producer.disconnect();
        return undefined;
    }
  }

  private async ensureTopics(topics: string[], partitions: number): Promise<string[]> {
    const specs: TopicSpec[] = [...new Set(topics)].map(
      (name) => topicByName(name) ?? { name, description: 'created by ridehail produce', key: 'key', compacted: false },
    );
    const result = await withAdmin(this.kafka, (admin) => ensureTopics(admin, specs, { partitions }));
    return result.created;
  }

  /** Resolves with the number of records acknowledged. */
  private send(packed: PackedRecords): Promise<number> {
    // Unpacked now, while the previous batch may still be on the wire.
    const topicMessages = [...unpackRecords(packed)].map(([topic, messages]) => ({ topic, messages }));
    const sent = this.sending.then(async () => {
      // Record timestamps are left to the producer (send time): event times of a backfill or of an
      // injected "future" record would be rejected by brokers that bound timestamp skew.
      await this.producer.sendBatch({ topicMessages, acks: -1 });
      return packed.count;
    });
    this.sending = sent.then(
      () => undefined,
      () => undefined,
    );
    return sent;
  }
}

export function serializeError(error: unknown): SerializedError {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

export function deserializeError(error: SerializedError): Error {
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}
