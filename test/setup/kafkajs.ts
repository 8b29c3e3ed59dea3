// kafkajs must never load before its read_committed filter is replaced (src/kafka/read-committed.ts).
import '../../src/kafka/read-committed.js';
