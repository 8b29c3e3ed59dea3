/**
 * The one door to kafkajs: importing it from here installs the read_committed fix
 * (read-committed.ts) before any consumer can exist.
 */
import './read-committed.js';
export { Kafka, logLevel, Partitioners, CompressionTypes } from 'kafkajs';
export type * from 'kafkajs';
