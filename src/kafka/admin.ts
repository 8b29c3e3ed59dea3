import type { Admin, Kafka } from 'kafkajs';
import type { TopicSpec } from '../contract/topics.js';
import { planTopics } from './topic-plan.js';

export interface CreatedTopics {
  created: string[];
  existing: string[];
  replicationFactor: number;
  partitions: number;
}

export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates the topics that are missing; existing topics are left exactly as they are. */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  options: { partitions: number; replicationFactor?: number },
): Promise<CreatedTopics> {
  const cluster = await admin.describeCluster();
  const existingNames = new Set(await admin.listTopics());
  const plan = planTopics(specs, { ...options, brokerCount: cluster.brokers.length });
  const missing = plan.filter((topic) => !existingNames.has(topic.topic));
  if (missing.length > 0) {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  }
  return {
    created: missing.map((t) => t.topic),
    existing: plan.filter((t) => existingNames.has(t.topic)).map((t) => t.topic),
    replicationFactor: plan[0]?.replicationFactor ?? 0,
    partitions: options.partitions,
  };
}

export interface TopicDescription {
  topic: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
  leaders: number[];
  outOfSync: number;
}

export async function describeTopics(admin: Admin, names: string[]): Promise<TopicDescription[]> {
  const metadata = await admin.fetchTopicMetadata({ topics: names });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: names.map((name) => ({ type: 2 /* TOPIC */, name })),
  });
  return metadata.topics.map((topic) => {
    const resource = configs.resources.find((r) => r.resourceName === topic.name);
    const config: Record<string, string> = {};
    for (const entry of resource?.configEntries ?? []) {
      if (!entry.isDefault && entry.configValue !== null) config[entry.configName] = entry.configValue;
    }
    return {
      topic: topic.name,
      partitions: topic.partitions.length,
      replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
      config,
      leaders: topic.partitions.map((p) => p.leader),
      outOfSync: topic.partitions.filter((p) => p.isr.length < p.replicas.length).length,
    };
  });
}
