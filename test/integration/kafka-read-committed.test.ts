import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel, type Producer } from '../../src/kafka/kafkajs.js';
import { readTopicToEnd } from '../../src/enrich/kafka-io.js';

const brokers = inject('kafkaBrokers');

/**
 * What every exactly-once reader here relies on (enrich's restore and its merger, the warehouse
 * loader, the dashboard): a read_committed kafkajs consumer sees no record of an aborted
 * transaction, also when transactions of several producers interleave on one partition — as
 * those of enrich's partition writers do on the changelog and the output topics.
 */
describe('read_committed through kafkajs on a real broker', () => {
  it('hides both of two interleaved aborted transactions, whichever aborted first', async () => {
    const kafka = new Kafka({ clientId: 'read-committed-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const topic = `read-committed-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    const producers: Producer[] = [];
    const transactional = async (name: string): Promise<Producer> => {
      const producer = kafka.producer({ transactionalId: `${topic}-${name}`, idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      producers.push(producer);
      return producer;
    };
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const early = await (await transactional('early')).transaction();
      await early.send({ topic, messages: [{ value: 'early, aborted' }] });
      const late = await (await transactional('late')).transaction();
      await late.send({ topic, messages: [{ value: 'late, aborted' }] });
      // The later-started transaction aborts first: the broker lists it first.
      await late.abort();
      await early.send({ topic, messages: [{ value: 'early again, aborted' }] });
      await early.abort();
      const committed = await (await transactional('committed')).transaction();
      await committed.send({ topic, messages: [{ value: 'committed' }] });
      await committed.commit();

      const seen: string[] = [];
      await readTopicToEnd(kafka, topic, 'read-committed-test', (m) => seen.push(m.value?.toString() ?? ''));
      expect(seen).toEqual(['committed']);
    } finally {
      await Promise.all(producers.map((p) => p.disconnect()));
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
