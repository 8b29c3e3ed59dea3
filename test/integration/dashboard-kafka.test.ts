import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Producer } from '../../src/kafka/kafkajs.js';
import { KafkaMetricsSource } from '../../src/dashboard/metrics-source.js';
import type { RideMetrics } from '../../src/contract/generated/ride_metrics.js';
import { cityWindow, zoneWindow, zonesAround } from '../unit/dashboard/fixtures.js';

const brokers = inject('kafkaBrokers');
const HOUR = 3_600_000;
const MIN = 60_000;

describe.skipIf(!brokers)('the Kafka metrics source', () => {
  const suffix = randomBytes(3).toString('hex');
  const topics = { city: `dash_it_city_${suffix}`, zone: `dash_it_zone_${suffix}` };
  const kafka = new Kafka({ clientId: 'dashboard-it', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  let producer: Producer;

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: topics.city, numPartitions: 2 }, { topic: topics.zone, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topics.city, topics.zone] }).catch(() => undefined);
    await admin.disconnect();
  });

  const send = (topic: string, records: (RideMetrics | string)[], timestamp: number) =>
    producer.send({
      topic,
      messages: records.map((r) => ({
        key: typeof r === 'string' ? 'junk' : `${r.city}|${r.zone ? `${r.zone}|` : ''}${r.window_start}`,
        value: typeof r === 'string' ? r : JSON.stringify(r),
        timestamp: String(timestamp),
      })),
    });

  it('reads from the lookback on, delivers every revision, skips invalid records and then follows new ones', async () => {
    const now = Date.now();
    const start = Math.floor(now / MIN) * MIN - 30 * MIN;
    const zone = zonesAround(40.7, -74, 0)[0]!;
    // Older than the lookback: must not be read.
    await send(topics.city, [cityWindow('nyc', start - 10 * HOUR, { rides_requested: 999 })], now - 10 * HOUR);
    await send(topics.city, [cityWindow('nyc', start, { rides_requested: 5 }), cityWindow('nyc', start, { rides_requested: 6, revision: 1 }), '{"not":"metrics"}', 'not json'], now - HOUR);
    await send(topics.zone, [zoneWindow('nyc', zone, start - 2 * HOUR)], now - 2 * HOUR);
    await send(topics.zone, [zoneWindow('nyc', zone, start, { rides_requested: 4 })], now - 5 * MIN);

    const received: RideMetrics[] = [];
    const invalid: string[] = [];
    const source = new KafkaMetricsSource(kafka, {
      topics,
      cityLookbackMs: 3 * HOUR,
      zoneLookbackMs: 30 * MIN,
      onInvalid: (at) => invalid.push(at),
    });
    await source.start((record) => received.push(record));
    try {
      await expect.poll(() => received.length, { timeout: 20_000 }).toBe(3);
      expect(received.filter((r) => r.zone === null).map((r) => [r.rides_requested, r.revision]).sort()).toEqual([[5, 0], [6, 1]]);
      expect(received.filter((r) => r.zone !== null).map((r) => r.rides_requested)).toEqual([4]);
      expect(invalid).toHaveLength(2);

      await send(topics.city, [cityWindow('nyc', start + MIN, { rides_requested: 42 })], Date.now());
      await expect.poll(() => received.some((r) => r.rides_requested === 42), { timeout: 20_000 }).toBe(true);
    } finally {
      await source.stop();
    }
  });

  it('waits for missing topics instead of creating them', async () => {
    const problems: string[] = [];
    const missing = { city: `dash_it_missing_${suffix}`, zone: `dash_it_missing_zone_${suffix}` };
    const source = new KafkaMetricsSource(kafka, { topics: missing, cityLookbackMs: HOUR, zoneLookbackMs: HOUR, retryMs: 200, onProblem: (m) => problems.push(m) });
    await source.start(() => undefined);
    await expect.poll(() => problems.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await source.stop();
    expect(problems[0]).toMatch(/does not exist yet/);
    const admin = kafka.admin();
    await admin.connect();
    const names = await admin.listTopics();
    await admin.disconnect();
    expect(names).not.toContain(missing.city);
  });
});
