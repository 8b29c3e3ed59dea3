import type { Kafka } from 'kafkajs';
import { ensureTopics, withAdmin } from '../kafka/admin.js';
import { TOPICS, type TopicSpec } from '../contract/topics.js';
import { kafkaStage, type KafkaStage } from './kafka-io.js';
import { StageRunner } from './runner.js';
import { SourcePartitionProcessor } from './source-processor.js';
import { WindowMergeProcessor, type MergerStats } from './window-merger.js';
import { sumCounters, unaccounted, type Counters } from './accounting.js';
import { mergerGroup, type EnrichSettings } from './settings.js';
import type { TimeZoneLookup } from './time-zones.js';
import { h3Zone, type ZoneOf } from './zones.js';
import { sourceId } from './records.js';

/**
 * `ridehail enrich` against Kafka: two stages in one process, each its own consumer group.
 *   1. <group>: ride_events, vehicle_events, user_events → enriched_rides, events_dlq, events_late,
 *      window partials (internal topic), changelog.
 *   2. <group>.windows: window partials → ride_metrics_1m, ride_metrics_zone_1m, changelog.
 * Several processes with the same --group share the partitions of both stages.
 */
export interface EnrichJobConfig {
  kafka: Kafka;
  group: string;
  settings: EnrichSettings;
  transactional: boolean;
  transactionTimeoutMs: number;
  concurrency: number;
  maxBytesPerPartition: number;
  tickMs: number;
  /** See StageOptions.commitIntervalMs; 0 commits every batch. */
  commitIntervalMs?: number;
  timeZoneOf: TimeZoneLookup;
  zoneOf?: ZoneOf;
  now?: () => number;
  onError?(error: unknown): void;
}

export interface EnrichStatus {
  counters: Counters;
  /** consumed − (enriched + dlq + duplicates + late + expired + open); 0 when the books balance. */
  unaccounted: number;
  partitionsOwned: number;
  openRides: number;
  eventIdsRemembered: number;
  /** Lowest event clock and watermark over owned ride and vehicle partitions. */
  eventClock: string | null;
  watermark: string | null;
  windows: MergerStats & { open: number };
  written: Record<string, number>;
  transactions: number;
  transactional: boolean;
}

export class EnrichJob {
  private readonly sources: StageRunner<SourcePartitionProcessor>;
  private readonly merger: StageRunner<WindowMergeProcessor>;
  private readonly stages: KafkaStage[];

  private constructor(
    private readonly config: EnrichJobConfig,
    partialsPartitions: number,
    changelogPartitions: { sources: number; merger: number },
    expectedSources: string[],
  ) {
    const { settings } = config;
    const now = config.now ?? Date.now;
    const common = {
      kafka: config.kafka,
      transactional: config.transactional,
      transactionTimeoutMs: config.transactionTimeoutMs,
      concurrency: config.concurrency,
      maxBytesPerPartition: config.maxBytesPerPartition,
      ...(config.onError ? { onError: config.onError } : {}),
    };
    const sourceStage = kafkaStage({
      ...common,
      group: config.group,
      topics: [settings.topics.rides, settings.topics.vehicles, settings.topics.users],
      changelogTopic: settings.topics.changelog,
      changelogPartitions: changelogPartitions.sources,
    });
    const mergeStage = kafkaStage({
      ...common,
      group: mergerGroup(config.group),
      topics: [settings.topics.partials],
      changelogTopic: settings.topics.mergerChangelog,
      changelogPartitions: changelogPartitions.merger,
    });
    this.stages = [sourceStage, mergeStage];
    const deps = { settings, zoneOf: config.zoneOf ?? h3Zone, timeZoneOf: config.timeZoneOf, partialsPartitions };
    const onError = (error: unknown): void => config.onError?.(error);
    const quietMs = settings.idleTimeoutMs;
    const commitIntervalMs = config.commitIntervalMs ?? 0;
    this.sources = new StageRunner({
      name: 'enrich', source: sourceStage.source, sink: sourceStage.sink, now, tickMs: config.tickMs, quietMs, commitIntervalMs, onError,
      createProcessor: (tp) => new SourcePartitionProcessor(tp, deps),
    });
    this.merger = new StageRunner({
      name: 'windows', source: mergeStage.source, sink: mergeStage.sink, now, tickMs: config.tickMs, quietMs, commitIntervalMs, onError,
      createProcessor: (tp) => new WindowMergeProcessor(tp, settings, expectedSources),
    });
  }

  /** Checks the inputs exist and creates missing output and internal topics, partitioned like ride_events. */
  static async prepare(config: EnrichJobConfig): Promise<EnrichJob> {
    const { topics } = config.settings;
    const counts = await withAdmin(config.kafka, async (admin) => {
      const existing = new Set(await admin.listTopics());
      const inputs = [topics.rides, topics.vehicles, topics.users];
      const missing = inputs.filter((t) => !existing.has(t));
      if (missing.length > 0) throw new MissingTopicsError(missing);
      const inputMetadata = await admin.fetchTopicMetadata({ topics: [topics.rides, topics.vehicles] });
      const inputCount = (name: string): number => inputMetadata.topics.find((t) => t.name === name)?.partitions.length ?? 1;
      await ensureTopics(admin, outputSpecs(config.settings), { partitions: inputCount(topics.rides) });
      const metadata = await admin.fetchTopicMetadata({ topics: [topics.partials, topics.changelog, topics.mergerChangelog] });
      const countOf = (name: string): number => metadata.topics.find((t) => t.name === name)?.partitions.length ?? 1;
      return {
        partials: countOf(topics.partials),
        changelog: { sources: countOf(topics.changelog), merger: countOf(topics.mergerChangelog) },
        rides: inputCount(topics.rides),
        vehicles: inputCount(topics.vehicles),
      };
    });
    const expectedSources = [
      ...Array.from({ length: counts.rides }, (_, partition) => sourceId({ topic: topics.rides, partition })),
      ...Array.from({ length: counts.vehicles }, (_, partition) => sourceId({ topic: topics.vehicles, partition })),
    ];
    return new EnrichJob(config, counts.partials, counts.changelog, expectedSources);
  }

  /**
   * Runs until `signal` aborts, then drains in pipeline order: the first stage stops and commits
   * what it holds, and the merger keeps reading until those partials are in (quiet for a second,
   * at most ten), so a clean stop leaves no window half-merged.
   */
  async run(signal: AbortSignal): Promise<void> {
    const stopSources = new AbortController();
    const stopMerger = new AbortController();
    const onAbort = (): void => stopSources.abort();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const drainMerger = async (): Promise<void> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const quietFor = Date.now() - (this.merger.lastBatchAtMs ?? 0);
        if (quietFor >= 1_000 || Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      stopMerger.abort();
    };
    try {
      await Promise.all([
        this.sources.run(stopSources.signal).finally(drainMerger),
        this.merger.run(stopMerger.signal),
      ]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      stopMerger.abort();
      await Promise.all(this.stages.map((stage) => stage.close().catch(() => undefined)));
    }
  }

  /** Wall time of the last input batch or partition restore, for --stop-when-idle; null before any. */
  get lastActivityAtMs(): number | null {
    const times = [this.sources.lastBatchAtMs, this.sources.lastOpenedAtMs].filter((t): t is number => t !== null);
    return times.length === 0 ? null : Math.max(...times);
  }

  get recordsIn(): number {
    return this.sources.recordsIn;
  }

  status(): EnrichStatus {
    const processors = this.sources.processors();
    const counters = sumCounters(processors.map((p) => p.counters));
    const clocked = processors.filter((p) => p.source.startsWith(`${this.config.settings.topics.users}/`) === false);
    const minOf = (values: (number | null)[]): string | null => {
      const known = values.filter((v): v is number => v !== null);
      return known.length === 0 ? null : new Date(Math.min(...known)).toISOString();
    };
    const mergers = this.merger.processors();
    const written: Record<string, number> = {};
    for (const stage of this.stages) for (const [topic, n] of stage.written) written[topic] = (written[topic] ?? 0) + n;
    return {
      counters,
      unaccounted: unaccounted(counters),
      partitionsOwned: processors.length,
      openRides: processors.reduce((n, p) => n + p.openRides, 0),
      eventIdsRemembered: processors.reduce((n, p) => n + p.rememberedEventIds, 0),
      eventClock: minOf(clocked.map((p) => p.eventClockMs)),
      watermark: minOf(clocked.map((p) => p.watermarkMs)),
      windows: {
        open: mergers.reduce((n, m) => n + m.openWindows, 0),
        windowsEmitted: mergers.reduce((n, m) => n + m.stats.windowsEmitted, 0),
        corrections: mergers.reduce((n, m) => n + m.stats.corrections, 0),
        partialsTooLate: mergers.reduce((n, m) => n + m.stats.partialsTooLate, 0),
      },
      written,
      transactions: this.sources.transactionsCommitted + this.merger.transactionsCommitted,
      transactional: this.config.transactional,
    };
  }
}

export class MissingTopicsError extends Error {
  constructor(readonly topics: string[]) {
    super(`input topic${topics.length > 1 ? 's' : ''} ${topics.join(', ')} missing`);
  }
}

/** The topics enrich writes, named for this job's settings (internal ones per group). */
export function outputSpecs(settings: EnrichSettings): TopicSpec[] {
  const { topics } = settings;
  return [
    { ...TOPICS.enrichedRides, name: topics.enriched },
    { ...TOPICS.rideMetrics, name: topics.metricsCity },
    { ...TOPICS.rideMetricsZone, name: topics.metricsZone },
    { ...TOPICS.eventsDlq, name: topics.dlq },
    { ...TOPICS.eventsLate, name: topics.late },
    { ...TOPICS.enrichWindowPartials, name: topics.partials },
    { ...TOPICS.enrichChangelog, name: topics.changelog },
    { ...TOPICS.enrichMergerChangelog, name: topics.mergerChangelog },
  ];
}
