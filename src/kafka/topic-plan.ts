import type { ITopicConfig } from 'kafkajs';
import type { TopicSpec } from '../contract/topics.js';

export interface TopicPlanOptions {
  partitions: number;
  /** Undefined: as many replicas as the cluster allows, up to 3. */
  replicationFactor?: number;
  brokerCount: number;
}

/**
 * Pure: the kafkajs topic configs for a set of topics on a cluster of a given size.
 * Three replicas with min.insync.replicas=2 survive one broker loss without losing an
 * acks=all write; a smaller cluster gets what it can hold.
 */
export function planTopics(specs: readonly TopicSpec[], options: TopicPlanOptions): ITopicConfig[] {
  const replicationFactor = options.replicationFactor ?? Math.min(3, options.brokerCount);
  if (replicationFactor > options.brokerCount) {
    throw new Error(
      `replication factor ${replicationFactor} needs at least ${replicationFactor} brokers; the cluster has ${options.brokerCount}`,
    );
  }
  const minInsync = replicationFactor >= 3 ? 2 : 1;
  return specs.map((spec) => ({
    topic: spec.name,
    numPartitions: options.partitions,
    replicationFactor,
    configEntries: [
      { name: 'min.insync.replicas', value: String(minInsync) },
      ...(spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
    ],
  }));
}
