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
} as const satisfies Record<string, TopicSpec>;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS]['name'];

export const SOURCE_TOPICS: readonly TopicSpec[] = [TOPICS.rideEvents, TOPICS.userEvents, TOPICS.vehicleEvents];

export function allTopics(): TopicSpec[] {
  return Object.values(TOPICS);
}

export function topicByName(name: string): TopicSpec | undefined {
  return allTopics().find((topic) => topic.name === name);
}
