/**
 * The one door to kafkajs: importing it from here installs the read_committed fix
 * (read-committed.ts) before any consumer can exist, and the producer's fast path
 * (fast-produce.ts), whose linear grouping must be in place before kafkajs's producer loads.
 */
import './fast-produce.js';
import './read-committed.js';
export { Kafka, logLevel, Partitioners, CompressionTypes } from 'kafkajs';
export type * from 'kafkajs';
