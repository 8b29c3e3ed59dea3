import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { EnrichJob, type EnrichStatus } from '../../src/enrich/job.js';
import { defaultSettings, defaultTopics } from '../../src/enrich/settings.js';
import { timeZoneLookup } from '../../src/enrich/time-zones.js';
import { BUILT_IN_CITIES } from '../../src/generate/cities.js';
import type { ReadMessage } from '../../src/enrich/kafka-io.js';
import { validate } from '../../src/contract/validate.js';
import { createInputTopics, generateRun, isolation, produce, readTopic, testKafka, type GeneratedRun } from './enrich-support.js';

/**
 * The books of `ridehail enrich` against the generator's manifest: every record the generator
 * wrote is consumed once and lands in exactly one place, and each injected fault is where it
 * should be.
 */
const brokers = inject('kafkaBrokers');
const WINDOW_MS = 10_000;
// Longer than a duplicate's delay (up to 50 records, ~10 s of event time here), far shorter than a held-back record's.
const LATENESS_MS = 60_000;

describe('enrich accounting against the generator manifest', () => {
  let kafka: Kafka;
  let run: GeneratedRun;
  let status: EnrichStatus;
  let dlq: ReadMessage[];
  let late: ReadMessage[];
  let enriched: ReadMessage[];

  beforeAll(async () => {
    kafka = testKafka(brokers);
    const { prefix, group } = isolation('acct');
    await createInputTopics(kafka, prefix, 3);
    run = await generateRun({ seed: 'enrich-accounting', rate: 5, count: 12_000, pingIntervalMs: 60_000, invalidRate: 0.02, duplicateRate: 0.02, lateRate: 0.02, lateByMs: 300_000 });
    await produce(kafka, prefix, run.records);

    const settings = defaultSettings({ windowMs: WINDOW_MS, allowedLatenessMs: LATENESS_MS, idleTimeoutMs: 1_000, topics: defaultTopics(group, prefix) });
    const job = await EnrichJob.prepare({
      kafka, group, settings, transactional: true, transactionTimeoutMs: 30_000, concurrency: 3, maxBytesPerPartition: 256 * 1024,
      tickMs: 200, timeZoneOf: timeZoneLookup(BUILT_IN_CITIES),
    });
    const stop = new AbortController();
    const running = job.run(stop.signal);
    const deadline = Date.now() + 90_000;
    while (job.status().counters.consumed < run.manifest.totals.records && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    stop.abort();
    await running;
    status = job.status();
    [dlq, late] = await Promise.all([readTopic(kafka, settings.topics.dlq), readTopic(kafka, settings.topics.late)]);
    enriched = await readTopic(kafka, settings.topics.enriched);
  }, 150_000);

  it('consumes every record the generator wrote, and the books balance exactly', () => {
    const c = status.counters;
    expect(c.consumed).toBe(run.manifest.totals.records);
    expect(status.unaccounted).toBe(0);
    expect(c.consumed).toBe(c.enriched + c.dlq + c.duplicates + c.late + c.expired + c.open);
  });

  it('drops exactly the injected duplicates', () => {
    expect(status.counters.duplicates).toBe(run.manifest.faults.counts.duplicate);
  });

  it('sends every injected invalid record to the DLQ, original bytes and source in headers', () => {
    const invalidKeys = run.manifest.faults.records.filter((f) => f.kind === 'invalid').map((f) => `${f.topic}|${f.key}`).sort();
    const notLifecycle = dlq.filter((m) => !m.headers['dlq.reason']?.startsWith('lifecycle:'));
    expect(notLifecycle.map((m) => `${m.headers['dlq.source.topic']?.split('.').at(-1)}|${m.key?.toString()}`).sort()).toEqual(invalidKeys);
    for (const m of dlq) {
      expect(m.headers['dlq.source.partition']).toMatch(/^\d+$/);
      expect(m.headers['dlq.source.offset']).toMatch(/^\d+$/);
    }
    expect(status.counters.dlq).toBe(dlq.length);
  });

  it('refuses a lifecycle step only for rides one of whose events was held back late', () => {
    const heldBack = new Set(run.manifest.faults.records.filter((f) => f.kind === 'late' && f.topic === 'ride_events').map((f) => f.key));
    const lifecycle = dlq.filter((m) => m.headers['dlq.reason']?.startsWith('lifecycle:'));
    for (const m of lifecycle) expect(heldBack.has(m.key!.toString()), m.headers['dlq.reason']).toBe(true);
  });

  it('sends to events_late every event held back past the window and the lateness, and nothing else', () => {
    const lateFaults = run.manifest.faults.records.filter((f) => f.kind === 'late');
    const behind = (reason: string): number => Number(/was (\d+) ms/.exec(reason)?.[1] ?? 0);
    const certainlyLate = lateFaults.filter((f) => behind(f.reason) >= WINDOW_MS + LATENESS_MS + 10_000).map((f) => f.event_id);
    const lateIds = new Set(late.map((m) => (JSON.parse(m.value!.toString()) as { event_id: string }).event_id));
    const heldIds = new Set(lateFaults.map((f) => f.event_id));
    for (const id of lateIds) expect(heldIds.has(id), id).toBe(true);
    for (const id of certainlyLate) expect(lateIds.has(id), id).toBe(true);
    expect(certainlyLate.length).toBeGreaterThan(lateFaults.length / 2);
    expect(status.counters.late).toBe(late.length);
  });

  it('writes one valid enriched record per ride that ended, except rides broken by a held-back event', () => {
    const ended = Object.values(run.manifest.cities).reduce((n, c) => n + c.rides_completed + c.rides_cancelled, 0);
    const heldBackRides = new Set(run.manifest.faults.records.filter((f) => f.kind === 'late' && f.topic === 'ride_events').map((f) => f.key));
    const rideIds = enriched.map((m) => m.key!.toString());
    expect(new Set(rideIds).size).toBe(rideIds.length);
    expect(rideIds.length).toBeGreaterThan(50);
    expect(rideIds.length).toBeLessThanOrEqual(ended);
    expect(rideIds.length).toBeGreaterThanOrEqual(ended - heldBackRides.size);
    for (const m of enriched) {
      const result = validate('enriched_rides.schema.json', JSON.parse(m.value!.toString()));
      expect(result.ok ? [] : result.errors).toEqual([]);
    }
  });
});
