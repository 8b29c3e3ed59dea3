import { describe, expect, it } from 'vitest';
import { planTopics } from '../../../src/kafka/topic-plan.js';
import { allTopics, SOURCE_TOPICS } from '../../../src/contract/topics.js';

describe('topic planning', () => {
  it('on three brokers the default is three replicas with min.insync.replicas=2', () => {
    const [plan] = planTopics(SOURCE_TOPICS, { partitions: 3, brokerCount: 3 });
    expect(plan?.replicationFactor).toBe(3);
    expect(plan?.configEntries).toContainEqual({ name: 'min.insync.replicas', value: '2' });
  });

  it('a single broker gets one replica and min.insync.replicas=1', () => {
    const [plan] = planTopics(SOURCE_TOPICS, { partitions: 1, brokerCount: 1 });
    expect(plan?.replicationFactor).toBe(1);
    expect(plan?.configEntries).toContainEqual({ name: 'min.insync.replicas', value: '1' });
  });

  it('asking for more replicas than brokers is refused before anything is created', () => {
    expect(() => planTopics(SOURCE_TOPICS, { partitions: 3, replicationFactor: 3, brokerCount: 1 })).toThrow(/needs at least 3 brokers/);
  });

  it('topics keyed by upsert are compacted', () => {
    const plans = planTopics(allTopics(), { partitions: 1, brokerCount: 1 });
    for (const spec of allTopics()) {
      const plan = plans.find((p) => p.topic === spec.name);
      const compacted = plan?.configEntries?.some((e) => e.name === 'cleanup.policy' && e.value === 'compact');
      expect(compacted, spec.name).toBe(spec.compacted);
    }
  });
});
