import type { SchemaId } from './validate.js';

/**
 * The pipeline's topics, in one catalogue so `topics create`, the producers and the consumers
 * agree on names, keys and retention. Later stages add their topics here.
 */
export interface TopicSpec {
  name: string;
  description: string;
  /** Schema of the record values; absent for topics that carry foreign bytes (the DLQ). */
  schema?: SchemaId;
  key: string;
  /** Compacted topics keep the latest value per key: right for upserted records. */
  compacted: boolean;
}

export const TOPICS = {
  rideEvents: {
    name: 'ride_events',
    description: 'Ride lifecycle events from the ridehail API',
    schema: 'ride_events.schema.json',
    key: 'ride_id',
    compacted: false,
  },
  userEvents: {
    name: 'user_events',
    description: 'Signups and ratings',
    schema: 'user_events.schema.json',
    key: 'user_id',
    compacted: false,
  },
  vehicleEvents: {
    name: 'vehicle_events',
    description: 'Vehicles going online/offline and location pings',
    schema: 'vehicle_events.schema.json',
    key: 'vehicle_id',
    compacted: false,
  },
  enrichedRides: {
    name: 'enriched_rides',
    description: 'One record per finished ride, written by `ridehail enrich` (upserted by ride_id)',
    schema: 'enriched_rides.schema.json',
    key: 'ride_id',
    compacted: true,
  },
  rideMetrics: {
    name: 'ride_metrics_1m',
    description: 'Per-city event-time window metrics; late data re-emits a window with a higher revision',
    schema: 'ride_metrics.schema.json',
    key: 'city|window_start',
    compacted: true,
  },
  rideMetricsZone: {
    name: 'ride_metrics_zone_1m',
    description: 'Per-H3-zone event-time window metrics; late data re-emits a window with a higher revision',
    schema: 'ride_metrics.schema.json',
    key: 'city|zone|window_start',
    compacted: true,
  },
  eventsDlq: {
    name: 'events_dlq',
    description: 'Records enrich refused (not JSON, schema, impossible values, lifecycle order): original bytes, reason and source in headers',
    key: 'original key',
    compacted: false,
  },
  eventsLate: {
    name: 'events_late',
    description: 'Events that arrived after their window was final: original bytes, source and watermark in headers',
    key: 'original key',
    compacted: false,
  },
  // Internal topics of `ridehail enrich` for its default group (ridehail-enrich); another --group
  // gets its own set, created on start.
  enrichWindowPartials: {
    name: 'ridehail-enrich-window-partials',
    description: 'Internal to enrich: per-partition window partials and progress marks for the window merger',
    key: 'city|window_start|source',
    compacted: false,
  },
  enrichChangelog: {
    name: 'ridehail-enrich-changelog',
    description: 'Internal to enrich: state of each input partition (open rides, windows, dedupe), restored on start',
    key: 'source|state key',
    compacted: true,
  },
  enrichMergerChangelog: {
    name: 'ridehail-enrich.windows-changelog',
    description: "Internal to enrich: the window merger's state, restored on start",
    key: 'source|state key',
    compacted: true,
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS]['name'];

export const SOURCE_TOPICS: readonly TopicSpec[] = [TOPICS.rideEvents, TOPICS.userEvents, TOPICS.vehicleEvents];

export function allTopics(): TopicSpec[] {
  return Object.values(TOPICS);
}

export function topicByName(name: string): TopicSpec | undefined {
  return allTopics().find((topic) => topic.name === name);
}
