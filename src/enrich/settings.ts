import { TOPICS } from '../contract/topics.js';

/**
 * Knobs of the enrich job. Event-time assumptions, stated once:
 * - event_time is the producer's clock at the moment the step happened; Kafka timestamps are
 *   never used for windows or lateness.
 * - Each input partition is an ordered log: its largest event time so far is its event clock, and
 *   its watermark trails that clock by `allowedLatenessMs`. Partitions are independent, so a slow or
 *   quiet partition never holds back another (the cross-partition minimum is taken only where
 *   partitions meet, in the window merger).
 * - A partition without input for `idleTimeoutMs` is assumed to be quiet, not stuck: its clock then
 *   moves with wall time, so its last windows still close.
 */
export interface EnrichSettings {
  windowMs: number;
  allowedLatenessMs: number;
  idleTimeoutMs: number;
  /** An event_time further than this ahead of the wall clock is impossible and goes to the DLQ. */
  maxFutureMs: number;
  /** An open ride with no step for this long (event time, behind the watermark) is given up. */
  rideTimeoutMs: number;
  /** Hard cap of remembered event ids per input partition, whatever their event time. */
  dedupeCapacity: number;
  /** Wall time the merger keeps windows open for a partition that has stopped reporting (or never did). */
  sourceTimeoutMs: number;
  topics: EnrichTopics;
}

export interface EnrichTopics {
  rides: string;
  vehicles: string;
  users: string;
  enriched: string;
  metricsCity: string;
  metricsZone: string;
  dlq: string;
  late: string;
  /** Internal: per-partition window partials and progress marks, read by the merger. */
  partials: string;
  /** Internal, compacted: the state of every input partition, restored on start. */
  changelog: string;
  /**
   * Internal, compacted: the merger's state. Apart from the first stage's changelog so that a
   * restore of one stage never waits on the other stage's open (or killed) transactions.
   */
  mergerChangelog: string;
}

export const DEFAULT_GROUP = 'ridehail-enrich';

/** Internal topics are named after the consumer group, as Kafka Streams does, so jobs never share state. */
export function internalTopics(group: string, prefix = ''): Pick<EnrichTopics, 'partials' | 'changelog' | 'mergerChangelog'> {
  return {
    partials: `${prefix}${group}-window-partials`,
    changelog: `${prefix}${group}-changelog`,
    mergerChangelog: `${prefix}${mergerGroup(group)}-changelog`,
  };
}

/** The merger's consumer group (and the stem of its transactional ids). */
export function mergerGroup(group: string): string {
  return `${group}.windows`;
}

/** The catalogue's topics; a prefix gives an isolated pipeline on a shared cluster (e.g. `staging.`). */
export function defaultTopics(group: string = DEFAULT_GROUP, prefix = ''): EnrichTopics {
  return {
    rides: prefix + TOPICS.rideEvents.name,
    vehicles: prefix + TOPICS.vehicleEvents.name,
    users: prefix + TOPICS.userEvents.name,
    enriched: prefix + TOPICS.enrichedRides.name,
    metricsCity: prefix + TOPICS.rideMetrics.name,
    metricsZone: prefix + TOPICS.rideMetricsZone.name,
    dlq: prefix + TOPICS.eventsDlq.name,
    late: prefix + TOPICS.eventsLate.name,
    ...internalTopics(group, prefix),
  };
}

export function defaultSettings(overrides: Partial<EnrichSettings> = {}): EnrichSettings {
  return {
    windowMs: 60_000,
    allowedLatenessMs: 30_000,
    idleTimeoutMs: 10_000,
    maxFutureMs: 86_400_000,
    rideTimeoutMs: 6 * 3_600_000,
    dedupeCapacity: 1_000_000,
    sourceTimeoutMs: 300_000,
    topics: defaultTopics(),
    ...overrides,
  };
}
