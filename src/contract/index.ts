export type * from './generated/ride_events.js';
export type * from './generated/user_events.js';
export type { VehicleEvent } from './generated/vehicle_events.js';
export type { EnrichedRide } from './generated/enriched_rides.js';
export type { RideMetrics } from './generated/ride_metrics.js';
export { validate, validatorFor, type SchemaId, type ValidationResult } from './validate.js';
export { TOPICS, SOURCE_TOPICS, allTopics, topicByName, type TopicSpec } from './topics.js';
