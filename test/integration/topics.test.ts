import { describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel } from '../../src/kafka/kafkajs.js';
import { main } from '../../src/cli/main.js';
import { allTopics } from '../../src/contract/topics.js';
import { describeTopics } from '../../src/kafka/admin.js';

const brokers = inject('kafkaBrokers');

async function ridehail(...args: string[]): Promise<number> {
  return main(['node', 'ridehail', '--brokers', brokers, ...args]);
}

describe('ridehail topics against a real broker', () => {
  it('create makes every topic of the catalogue and a second create is a no-op', async () => {
    expect(await ridehail('topics', 'create', '--partitions', '2', '--json')).toBe(0);
    const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const names = new Set(await admin.listTopics());
      for (const topic of allTopics()) expect(names.has(topic.name), topic.name).toBe(true);

      const before = await describeTopics(admin, allTopics().map((t) => t.name));
      expect(await ridehail('topics', 'create', '--partitions', '5')).toBe(0);
      const after = await describeTopics(admin, allTopics().map((t) => t.name));
      // Re-running with other settings must not touch what exists.
      expect(after.map((t) => t.partitions)).toEqual(before.map((t) => t.partitions));
      for (const topic of after) {
        const spec = allTopics().find((t) => t.name === topic.topic);
        expect(topic.config['cleanup.policy'] === 'compact', topic.topic).toBe(Boolean(spec?.compacted));
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('describe of a topic that does not exist is a usage error', async () => {
    expect(await ridehail('topics', 'describe', 'no_such_topic')).toBe(2);
  });

  it('asking for more replicas than the cluster has brokers is a usage error', async () => {
    expect(await ridehail('topics', 'create', '--replication-factor', '3')).toBe(2);
  });
});
