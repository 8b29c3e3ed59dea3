import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { CompressionTypes, Kafka, logLevel, type KafkaMessage } from '../../src/kafka/kafkajs.js';
import { fastProduceStatus } from '../../src/kafka/fast-produce.js';
import { eventually } from '../helpers/eventually.js';

const brokers = inject('kafkaBrokers');

/**
 * src/kafka/fast-produce.ts encodes plain produce requests itself and hands compressed ones and
 * ones with record timestamps back to kafkajs. None of the toolkit's producers sends the second
 * kind, so this is where a real broker sees both kinds from one patched producer, interleaved.
 */
describe('the producer fast path and the kafkajs encoding it falls back to, on a real broker', () => {
  it('delivers plain, gzip-compressed and timestamped sends intact, with their keys, headers and timestamps', async () => {
    // Otherwise every send below would take kafkajs's path and the test would prove nothing new.
    expect(fastProduceStatus()).toEqual({ encoder: true, linearGrouping: true });
    const kafka = new Kafka({ clientId: 'produce-paths-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const topic = `produce-paths-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 100 });
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      await producer.connect();
      const keys = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
      const timestamp = String(Date.UTC(2026, 10, 24, 18, 30, 0));
      // Per key one record by each path, in this order, so per-key order shows none was reordered.
      await producer.send({ topic, messages: keys.map((key) => ({ key, value: `plain ${key} ü`, headers: { path: 'fast' } })) });
      await producer.send({ topic, compression: CompressionTypes.GZIP, messages: keys.map((key) => ({ key, value: `gzip ${key}`.repeat(20), headers: { path: 'gzip' } })) });
      await producer.send({ topic, messages: keys.map((key) => ({ key, value: `stamped ${key}`, timestamp, headers: { path: 'timestamped' } })) });
      await producer.send({ topic, messages: [{ key: 'r1', value: null, headers: { path: 'fast' } }] });

      const seen: Array<{ key: string; value: string | null; path: string; timestamp: string }> = [];
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }: { message: KafkaMessage }) => {
          seen.push({ key: message.key!.toString(), value: message.value?.toString() ?? null, path: message.headers!['path']!.toString(), timestamp: message.timestamp });
        },
      });
      await eventually('all 19 records read back', 60_000, async () => (seen.length >= 19 ? true : undefined), 100);

      expect(seen).toHaveLength(19);
      for (const key of keys) {
        const mine = seen.filter((m) => m.key === key);
        expect(mine.map((m) => m.path), key).toEqual(['fast', 'gzip', 'timestamped', ...(key === 'r1' ? ['fast'] : [])]);
        expect(mine[0]!.value).toBe(`plain ${key} ü`);
        expect(mine[1]!.value).toBe(`gzip ${key}`.repeat(20));
        expect(mine[2]).toMatchObject({ value: `stamped ${key}`, timestamp });
        // Records without a timestamp of their own carry the send's clock, not the stamped one.
        expect(Number(mine[0]!.timestamp)).toBeGreaterThan(Number(timestamp));
      }
      expect(seen.find((m) => m.key === 'r1' && m.value === null)).toBeDefined();
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.deleteGroups([`${topic}-reader`]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
