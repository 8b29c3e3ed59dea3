import { Kafka, logLevel, Partitioners, type Admin, type Producer } from '../../src/kafka/kafkajs.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findJava } from '../../src/local/java.js';
import { ensureKafkaDist } from '../../src/local/kafka-dist.js';
import { describeQuorum } from '../../src/local/kafka-quorum.js';
import { stackPaths } from '../../src/local/paths.js';
import { status, up } from '../../src/local/stack.js';
import { startTestStack, testCacheDir, type TestStack } from '../helpers/stack.js';
import { eventually as poll } from '../helpers/eventually.js';

function client(brokers: readonly string[]): Kafka {
  return new Kafka({
    clientId: 'failover-test',
    brokers: [...brokers],
    // Connection errors to the killed node are the point of the test; they would bury the report.
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 30 },
  });
}

async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

async function pidOf(stack: TestStack, name: string): Promise<number> {
  const p = (await status({ stackDir: stack.stackDir })).processes.find((x) => x.name === name);
  if (p?.pid == null) throw new Error(`${name} is not running`);
  return p.pid;
}

// Half-second polls: a failover is over in a few seconds.
const eventually = <T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> => poll(what, timeoutMs, fn, 500);

/** Reads the whole topic once (up to the high watermarks seen at the start) and counts each id. */
async function readAllIds(kafka: Kafka, topic: string, groupId: string): Promise<Map<number, number>> {
  const high = await withAdmin(kafka, (a) => a.fetchTopicOffsets(topic));
  const remaining = new Map(high.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  const counts = new Map<number, number>();
  if (remaining.size === 0) return counts;
  const consumer = kafka.consumer({ groupId, retry: { retries: 30 } });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read-back incomplete, partitions left: ${[...remaining.keys()].join(',')}`)), 90_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const { id } = JSON.parse(message.value?.toString() ?? '{}') as { id: number };
            counts.set(id, (counts.get(id) ?? 0) + 1);
            if (Number(message.offset) + 1 >= (remaining.get(partition) ?? Infinity)) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return counts;
}

describe('a local cluster of 2 controllers and 3 brokers', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ controllers: 2, brokers: 3 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs five processes, all healthy, and warns that a 2-voter quorum survives no controller loss', async () => {
    const s = await status({ stackDir: stack.stackDir });
    expect(s.processes.map((p) => [p.name, p.health])).toEqual([
      ['controller-1', 'healthy'],
      ['controller-2', 'healthy'],
      ['broker-1', 'healthy'],
      ['broker-2', 'healthy'],
      ['broker-3', 'healthy'],
    ]);
    expect(new Set(s.processes.map((p) => p.port)).size).toBe(5);
    expect(stack.result.warnings.join(' ')).toMatch(/majority is 2/);
  });

  it('keeps every acknowledged acks=all write exactly once while a partition leader is SIGKILLed mid-stream', { timeout: 300_000 }, async () => {
    const kafka = client(stack.brokers);
    const topic = 'failover';
    const partitions = 3;
    const groupId = 'failover-reader';
    const victim = await withAdmin(kafka, async (admin) => {
      // kafkajs's own wait for leaders gives up on the first "does not host this topic-partition"
      // from a broker that has not caught up with the controller yet (seen right after the cluster
      // started); so the topic is created, then its leaders are waited for here.
      await eventually('the failover topic', 60_000, async () => {
        await admin.createTopics({
          topics: [{ topic, numPartitions: partitions, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
          waitForLeaders: false,
        });
        return true;
      });
      const meta = await eventually('a leader for every partition of the failover topic', 60_000, async () => {
        const found = await admin.fetchTopicMetadata({ topics: [topic] });
        const ps = found.topics[0]?.partitions ?? [];
        return ps.length === partitions && ps.every((p) => p.leader >= 0) ? found : undefined;
      });
      // Create __consumer_offsets (RF 3) now: with a broker dead it could not be created.
      await eventually('the consumer offsets topic', 60_000, async () => (await admin.fetchOffsets({ groupId, topics: [topic] })).length > 0 || undefined);
      return meta.topics[0]!.partitions.find((p) => p.partitionId === 0)!.leader;
    });
    const victimName = `broker-${victim}`;
    const victimPid = await pidOf(stack, victimName);

    const newProducer = async (): Promise<Producer> => {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2_000 },
      });
      await p.connect();
      return p;
    };

    const total = 3_000;
    const batch = 10;
    const killAt = 1_000;
    const acked = new Set<number>();
    let ackedAfterKill = 0;
    let failedSends = 0;
    let killed = false;
    let producer = await newProducer();
    try {
      for (let first = 0; first < total; first += batch) {
        if (!killed && first >= killAt) {
          process.kill(victimPid, 'SIGKILL');
          killed = true;
        }
        const ids = Array.from({ length: batch }, (_, i) => first + i);
        // One partition (so one leader) per send: kafkajs 2.2.4 resolves a send spanning several
        // leaders without ever sending the part whose leader died, if the new leader is a broker
        // that already answered for another partition of the same send (tulios/kafkajs#1303;
        // responses are tracked per broker in producer/sendMessages.js). Seen here as acked, lost ids.
        const partition = (first / batch) % partitions;
        try {
          await producer.send({ topic, acks: -1, timeout: 30_000, messages: ids.map((id) => ({ partition, key: String(id), value: JSON.stringify({ id }) })) });
          for (const id of ids) acked.add(id);
          if (killed) ackedAfterKill += ids.length;
        } catch {
          // Unacknowledged: may or may not be stored, and is not retried. A fresh producer (new
          // producer id) keeps later sequence numbers from colliding with whatever was stored.
          failedSends += 1;
          await producer.disconnect().catch(() => undefined);
          producer = await newProducer();
        }
      }
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
    expect(killed).toBe(true);
    expect(ackedAfterKill).toBeGreaterThan(0);
    expect(acked.size).toBeGreaterThanOrEqual(total - failedSends * batch);

    // Read back from the two surviving brokers.
    const counts = await readAllIds(kafka, topic, groupId);
    const missing = [...acked].filter((id) => !counts.has(id));
    const duplicated = [...counts].filter(([, n]) => n > 1);
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);

    // `up` repairs the stack: only the dead broker is started again.
    const repaired = await up(stack.options);
    expect(repaired.processes.filter((p) => p.action === 'started').map((p) => p.name)).toEqual([victimName]);
  });
});

describe('a local cluster of 3 controllers', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ controllers: 3, brokers: 1 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('elects a new quorum leader when the active controller is SIGKILLed and still creates topics and takes writes', { timeout: 240_000 }, async () => {
    const [java, dist] = await Promise.all([
      findJava({ javaHome: process.env['JAVA_HOME'], pathEnv: process.env['PATH'] }),
      ensureKafkaDist({ kafkaHome: process.env['KAFKA_HOME'], cacheDir: testCacheDir(), pathEnv: process.env['PATH'] }),
    ]);
    const quorum = (): ReturnType<typeof describeQuorum> =>
      describeQuorum({ java: java.path, dist, logsDir: stackPaths(stack.stackDir).logs, bootstrapServers: stack.kafkaBrokers });

    const before = await quorum();
    expect([...before.voterIds].sort()).toEqual([101, 102, 103]);
    const leaderName = `controller-${before.leaderId - 100}`;
    process.kill(await pidOf(stack, leaderName), 'SIGKILL');

    const after = await eventually('a new quorum leader', 90_000, async () => {
      const q = await quorum();
      return q.leaderId !== before.leaderId && q.leaderEpoch > before.leaderEpoch ? q : undefined;
    });
    expect(after.leaderId).not.toBe(before.leaderId);

    const kafka = client(stack.brokers);
    const topic = 'after-controller-loss';
    await withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true }));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 100 }, (_, id) => ({ key: String(id), value: JSON.stringify({ id }) })) });
    } finally {
      await producer.disconnect();
    }
    const counts = await readAllIds(kafka, topic, 'after-controller-loss-reader');
    expect(counts.size).toBe(100);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    const s = await status({ stackDir: stack.stackDir });
    expect(s.processes.find((p) => p.name === leaderName)?.health).toBe('stopped');
    expect(s.processes.filter((p) => p.health === 'healthy')).toHaveLength(3);
  });
});
