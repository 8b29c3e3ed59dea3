/**
 * A correct read_committed filter for kafkajs, installed in place of its own.
 *
 * kafkajs 2.2.4 (consumer/filterAbortedMessages.js) takes the fetch response's aborted
 * transactions as if they were sorted by first offset and checks only the head of the list for
 * each message. The broker lists them in the order their abort markers were written, so when two
 * producers' transactions interleave on one partition and the later-started one aborts first, the
 * records of the earlier one are handed out as if committed. Seen on our own topics: a SIGKILLed
 * `enrich` leaves one open transaction per partition writer, all aborted together when the next
 * owner fences them, and a read_committed reader then saw a window revision twice. The Java
 * consumer keeps the aborted transactions in a priority queue by first offset and takes every one
 * that starts at or before the current record; so does this filter.
 *
 * kafkajs has no hook for this, and its Batch holds the module it required at load time, so the
 * fix is placed in Node's require cache before kafkajs first loads. `src/kafka/kafkajs.ts`
 * imports this module first and is the only place the rest of the code gets kafkajs from.
 */
import { createRequire } from 'node:module';

export interface FetchedMessage {
  offset: string;
  key?: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string | number | bigint; inTransaction: boolean };
}

export interface AbortedTransaction {
  producerId: string | number | bigint;
  firstOffset: string | number | bigint;
}

/** Control record key of an ABORT marker: version 0, type 0 (COMMIT is type 1). */
const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

function isAbortMarker(message: FetchedMessage): boolean {
  return message.key != null && Buffer.from(message.key).equals(ABORT_MARKER_KEY);
}

export function filterAbortedMessages<M extends FetchedMessage>({ messages, abortedTransactions }: { messages: M[]; abortedTransactions?: AbortedTransaction[] | null }): M[] {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const pending = abortedTransactions
    .map((t) => ({ producerId: String(t.producerId), firstOffset: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<string>();
  let next = 0;
  return messages.filter((message) => {
    const offset = BigInt(message.offset);
    while (next < pending.length && pending[next]!.firstOffset <= offset) abortedProducers.add(pending[next++]!.producerId);
    const producerId = String(message.batchContext.producerId);
    // Control records pass here as in kafkajs, which drops them right after this filter.
    if (isAbortMarker(message)) {
      abortedProducers.delete(producerId);
      return true;
    }
    return !(message.batchContext.inTransaction && abortedProducers.has(producerId));
  });
}

const MARK = Symbol.for('ridehail.kafkajs.readCommittedFilter');
Object.defineProperty(filterAbortedMessages, MARK, { value: true });

function isOurs(value: unknown): boolean {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[MARK] === true;
}

/** Puts the filter in the require cache; throws if kafkajs already loaded its own. */
export function installReadCommittedFilter(): void {
  const require = createRequire(import.meta.url);
  const filterPath = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
  const batchPath = require.resolve('kafkajs/src/consumer/batch.js');
  const cached = require.cache[filterPath];
  if (cached && isOurs(cached.exports)) return;
  if (require.cache[batchPath]) {
    throw new Error('kafkajs was loaded before ridehail could fix its read_committed filter: import kafkajs through src/kafka/kafkajs.ts');
  }
  // A cache entry is all require() consults; a Module-shaped object is enough for it.
  require.cache[filterPath] = { id: filterPath, filename: filterPath, loaded: true, exports: filterAbortedMessages, children: [], paths: [] } as unknown as NodeJS.Module;
}

installReadCommittedFilter();
