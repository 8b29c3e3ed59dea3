/**
 * The one door to kafkajs. The read_committed fix must be in place before kafkajs loads (see
 * read-committed.ts), and ES modules evaluate their imports in source order, so it comes first.
 */
import './read-committed.js';
export { Kafka, logLevel, Partitioners, CompressionTypes } from 'kafkajs';
export type * from 'kafkajs';
