import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel } from '../../src/kafka/kafkajs.js';
import { loadMigrations, migrate } from '../../src/warehouse/migrations.js';
import { loadKafka } from '../../src/warehouse/load.js';
import { LOADED_TOPICS } from '../../src/warehouse/loader.js';
import { readOffsets } from '../../src/warehouse/offsets.js';
import { PgSession } from '../../src/warehouse/session.js';
import { buildWorld, type World } from '../unit/warehouse/fixtures.js';
import { createTestDatabase, withClient } from '../helpers/postgres.js';

/**
 * Loading from Kafka, on topics of this test's own (a prefix per run, mapped onto the contract
 * topics), so other test files' records on the real topics cannot change the counts.
 */
describe('warehouse load --from kafka', () => {
  const prefix = `wh${randomBytes(3).toString('hex')}`;
  const topicNames = Object.fromEntries(Object.keys(LOADED_TOPICS).map((t) => [t, `${prefix}.${t}`]));
  const group = `${prefix}-warehouse`;
  let kafka: Kafka;
  let db: { url: string; drop: () => Promise<void> };
  let world: World;

  beforeAll(async () => {
    kafka = new Kafka({ clientId: 'warehouse-test', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
    db = await createTestDatabase(inject('databaseUrl'), 'wh_kafka');
    await withClient(db.url, (c) => migrate(c, loadMigrations()));
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: Object.values(topicNames).map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
      });
    } finally {
      await admin.disconnect();
    }
    world = buildWorld({ rides: 300, pingsPerRide: 3 });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const line of world.lines) {
        const list = byTopic.get(line.topic) ?? [];
        list.push({ key: line.key, value: JSON.stringify(line.value) });
        byTopic.set(line.topic, list);
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic: topicNames[topic]!, messages })) });
    } finally {
      await producer.disconnect();
    }
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
    const admin = kafka?.admin();
    if (admin) {
      await admin.connect();
      await admin.deleteTopics({ topics: Object.values(topicNames) }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  const rawCount = (): Promise<number> =>
    withClient(db.url, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM ridehail.raw_events')).rows[0]?.n));

  /** What admin.setOffsets does, for all topics in one group join instead of one per topic. */
  const setGroupOffsets = async (to: 'earliest' | 'latest'): Promise<void> => {
    const admin = kafka.admin();
    await admin.connect();
    const seeks: { topic: string; partition: number; offset: string }[] = [];
    try {
      for (const topic of Object.values(topicNames)) {
        for (const o of await admin.fetchTopicOffsets(topic)) seeks.push({ topic, partition: o.partition, offset: to === 'earliest' ? o.low : o.high });
      }
    } finally {
      await admin.disconnect();
    }
    const consumer = kafka.consumer({ groupId: group });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: Object.values(topicNames) });
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.FETCH, () => void consumer.stop().then(resolve, reject));
        consumer.run({ eachBatchAutoResolve: false, eachBatch: async () => undefined }).catch(reject);
        consumer.pause(Object.values(topicNames).map((topic) => ({ topic })));
        for (const seek of seeks) consumer.seek(seek);
      });
    } finally {
      await consumer.disconnect();
    }
    const check = kafka.admin();
    await check.connect();
    try {
      for (const topic of Object.values(topicNames)) {
        const committed = await check.fetchOffsets({ groupId: group, topics: [topic] });
        for (const p of committed[0]?.partitions ?? []) {
          expect(p.offset).toBe(seeks.find((x) => x.topic === topic && x.partition === p.partition)?.offset);
        }
      }
    } finally {
      await check.disconnect();
    }
  };

  it('stops part-way on shutdown with everything committed accounted for by the stored offsets', async () => {
    const controller = new AbortController();
    const session = new PgSession(db.url);
    try {
      await loadKafka(session, kafka, {
        salt: 's', batchSize: 100, groupId: group, topicNames, signal: controller.signal, idleMs: 20_000,
        onBatch: (p) => {
          if (p.totals.rows >= 300) controller.abort();
        },
      });
    } finally {
      await session.close();
    }
    const loaded = await rawCount();
    const stored = await withClient(db.url, (c) => readOffsets(c, 'kafka'));
    expect(loaded).toBeGreaterThanOrEqual(300);
    expect(loaded).toBeLessThan(world.lines.length);
    expect(stored.reduce((sum, o) => sum + o.nextOffset, 0)).toBe(loaded);
  }, 120_000);

  it('resumes from the offsets in Postgres, not from the consumer group offsets in Kafka', async () => {
    // Kafka's committed offsets claim everything was consumed; Postgres knows better.
    await setGroupOffsets('latest');
    const session = new PgSession(db.url);
    try {
      await loadKafka(session, kafka, { salt: 's', batchSize: 100, groupId: group, topicNames, idleMs: 20_000 });
    } finally {
      await session.close();
    }
    expect(await rawCount()).toBe(world.lines.length);
    const rides = await withClient(db.url, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM ridehail.fct_rides')).rows[0]?.n));
    expect(rides).toBe(world.enriched.length);
  }, 120_000);

  it('a group rewound to the beginning loads nothing twice', async () => {
    await setGroupOffsets('earliest');
    const session = new PgSession(db.url);
    try {
      const summary = await loadKafka(session, kafka, { salt: 's', batchSize: 100, groupId: group, topicNames, idleMs: 5_000 });
      expect(summary.rows).toBe(0);
    } finally {
      await session.close();
    }
    expect(await rawCount()).toBe(world.lines.length);
  }, 120_000);

  it('with follow, keeps loading records as they arrive until shut down', async () => {
    const controller = new AbortController();
    const session = new PgSession(db.url);
    // New ride ids: the fixture numbers rides from 1, and an equal id at an equal revision is (rightly) not an update.
    const late = buildWorld({ rides: 3, customers: 1, drivers: 1, pingsPerRide: 0, city: 'sfo', timeZone: 'America/Los_Angeles' })
      .enriched.map((r, i) => ({ ...r, ride_id: `ride_sfo${i}` }));
    try {
      const running = loadKafka(session, kafka, { salt: 's', batchSize: 100, groupId: group, topicNames, follow: true, signal: controller.signal });
      const producer = kafka.producer();
      await producer.connect();
      try {
        await producer.send({
          topic: topicNames['enriched_rides']!,
          acks: -1,
          messages: late.map((r) => ({ key: r.ride_id, value: JSON.stringify(r) })),
        });
      } finally {
        await producer.disconnect();
      }
      const deadline = Date.now() + 30_000;
      let arrived = 0;
      while (Date.now() < deadline) {
        arrived = await withClient(db.url, async (c) =>
          Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM ridehail.fct_rides WHERE city_code = 'sfo'")).rows[0]?.n),
        );
        if (arrived === late.length) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(arrived).toBe(late.length);
      controller.abort();
      const summary = await running;
      expect(summary.rows).toBe(late.length);
    } finally {
      controller.abort();
      await session.close();
    }
  }, 120_000);
});
