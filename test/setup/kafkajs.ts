// kafkajs must never load before its fixes are in place: the producer's linear grouping
// (src/kafka/fast-produce.ts) swaps a module kafkajs's producer requires when it loads, and its
// read_committed filter is replaced (src/kafka/read-committed.ts) before any consumer exists.
import '../../src/kafka/fast-produce.js';
import '../../src/kafka/read-committed.js';
