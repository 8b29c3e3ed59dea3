import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { EnrichStatus } from '../../src/enrich/job.js';
import type { RideMetrics } from '../../src/contract/generated/ride_metrics.js';
import { windowStart } from '../../src/enrich/windows.js';
import { createInputTopics, generateRun, isolation, produce, readTopic, ridehailScript, testKafka } from './enrich-support.js';

/**
 * Kill `ridehail enrich` with SIGKILL mid-stream, start it again, and read every output with
 * read_committed: each expected record is there exactly once, and the window counts are what the
 * input says, not more.
 */
const brokers = inject('kafkaBrokers');
const WINDOW_MS = 10_000;

async function committedOffsets(kafka: Kafka, group: string, topics: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId: group, topics });
    return offsets.flatMap((t) => t.partitions).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } catch (error) {
    // While the group's coordinator loads or moves, the broker answers NOT_COORDINATOR or
    // COORDINATOR_LOAD_IN_PROGRESS; the caller polls, so "nothing known yet" is the honest answer.
    if ((error as { retriable?: boolean }).retriable) return 0;
    throw error;
  } finally {
    await admin.disconnect();
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('enrich survives SIGKILL mid-stream with exactly-once outputs', () => {
  it('a killed and restarted enrich leaves every output record exactly once', async () => {
    const kafka = testKafka(brokers);
    const { prefix, group } = isolation('eo');
    await createInputTopics(kafka, prefix, 3);
    const run = await generateRun({ seed: 'enrich-exactly-once', rate: 5, count: 24_000, pingIntervalMs: 30_000, invalidRate: 0.01, duplicateRate: 0.01 });
    await produce(kafka, prefix, run.records);
    const total = run.manifest.totals.records;

    const script = await ridehailScript();
    const args = [
      script, '--brokers', brokers, 'enrich', '--group', group, '--topic-prefix', prefix,
      '--window', '10s', '--allowed-lateness', '5s', '--idle-timeout', '1s', '--concurrency', '2',
      // Small fetches make many small transactions: the kill lands between and inside them.
      '--fetch-bytes', '16384', '--json',
    ];
    const inputs = ['ride_events', 'vehicle_events', 'user_events'].map((t) => prefix + t);

    const first = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let firstErr = '';
    first.stderr?.on('data', (d: Buffer) => (firstErr += d.toString()));
    const firstExit = exited(first);
    const deadline = Date.now() + 60_000;
    let done = 0;
    while (Date.now() < deadline) {
      done = await committedOffsets(kafka, group, inputs);
      if (done >= total * 0.25) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    first.kill('SIGKILL');
    await firstExit;
    expect(done, firstErr).toBeGreaterThanOrEqual(total * 0.25);
    expect(done).toBeLessThan(total);

    const second = spawn(process.execPath, [...args, '--stop-when-idle', '20s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    second.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    second.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(second), err).toBe(0);
    const summary = JSON.parse(out) as EnrichStatus;

    // The books cover both runs: counters went through the changelog with the state.
    expect(summary.counters.consumed).toBe(total);
    expect(summary.unaccounted).toBe(0);
    expect(summary.counters.dlq).toBe(run.manifest.faults.counts.invalid);

    // The clean stream is every record but the broken copies the generator injected: each has an
    // event_id of its own (listed in the manifest), and one that is still JSON — a schema_version
    // made a string, say — would otherwise count as one more request. Duplicates collapse on event_id.
    const broken = new Set(run.manifest.faults.records.filter((f) => f.kind === 'invalid').map((f) => f.event_id));
    const clean = run.records
      .filter((r) => r.json)
      .map((r) => JSON.parse(r.value) as { event_id: string; event_type: string; event_time: string; city: string; ride_id?: string })
      .filter((e) => !broken.has(e.event_id));
    const unique = [...new Map(clean.map((e) => [e.event_id, e])).values()];
    const endedRides = new Set(unique.filter((e) => e.event_type === 'ride_completed' || e.event_type === 'ride_cancelled').map((e) => e.ride_id));

    const enriched = await readTopic(kafka, `${prefix}enriched_rides`);
    const rideIds = enriched.map((m) => m.key!.toString());
    expect(new Set(rideIds).size).toBe(rideIds.length);
    expect(new Set(rideIds)).toEqual(endedRides);

    const dlq = await readTopic(kafka, `${prefix}events_dlq`);
    const dlqSources = dlq.map((m) => `${m.headers['dlq.source.topic']}/${m.headers['dlq.source.partition']}@${m.headers['dlq.source.offset']}`);
    expect(new Set(dlqSources).size).toBe(dlqSources.length);
    expect(dlq).toHaveLength(run.manifest.faults.counts.invalid);

    // Metrics: no revision of a window written twice, revisions without gaps, and the final
    // request counts equal to the input's, window by window.
    const metrics = await readTopic(kafka, `${prefix}ride_metrics_1m`);
    const revisions = new Map<string, number[]>();
    const latest = new Map<string, RideMetrics>();
    for (const m of metrics) {
      const value = JSON.parse(m.value!.toString()) as RideMetrics;
      const key = m.key!.toString();
      revisions.set(key, [...(revisions.get(key) ?? []), value.revision]);
      latest.set(key, value);
    }
    for (const [key, seen] of revisions) expect(seen, key).toEqual(seen.map((_, i) => i));
    const requested = new Map<string, number>();
    for (const e of unique) {
      if (e.event_type !== 'ride_requested') continue;
      const key = `${e.city}|${new Date(windowStart(Date.parse(e.event_time), WINDOW_MS)).toISOString()}`;
      requested.set(key, (requested.get(key) ?? 0) + 1);
    }
    expect(latest.size).toBeGreaterThan(50);
    for (const [key, value] of latest) expect(value.rides_requested, key).toBe(requested.get(key) ?? 0);
  }, 150_000);
});
