/**
 * A correct read_committed filter for kafkajs, applied to every fetch response before kafkajs
 * filters it itself.
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
 * kafkajs has no hook for it, and its Batch holds the filter it required at load time. What stays
 * reachable after kafkajs has loaded is the Broker class: its fetch() is wrapped so each
 * partition's records of aborted transactions are flagged as control records — Batch drops those
 * from what it hands out but keeps them for its offset bookkeeping, so the consumer moves past
 * them — and the aborted-transaction list is emptied, leaving kafkajs' own filter nothing to get
 * wrong. Wrapping a prototype works whatever loaded kafkajs first (a bundle, a test file), as
 * long as it happens before the first fetch; src/kafka/kafkajs.ts, the one door to kafkajs,
 * imports this module.
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
  return message.isControlRecord === true && message.key != null && Buffer.from(message.key).equals(ABORT_MARKER_KEY);
}

/** The records (control records aside) that belong to an aborted transaction. Pure. */
export function abortedRecords<M extends FetchedMessage>(messages: readonly M[], abortedTransactions: readonly AbortedTransaction[] | null | undefined): Set<M> {
  const aborted = new Set<M>();
  if (!abortedTransactions || abortedTransactions.length === 0) return aborted;
  const pending = abortedTransactions
    .map((t) => ({ producerId: String(t.producerId), firstOffset: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<string>();
  let next = 0;
  for (const message of messages) {
    const offset = BigInt(message.offset);
    while (next < pending.length && pending[next]!.firstOffset <= offset) abortedProducers.add(pending[next++]!.producerId);
    const producerId = String(message.batchContext.producerId);
    if (isAbortMarker(message)) abortedProducers.delete(producerId);
    else if (message.isControlRecord !== true && message.batchContext.inTransaction && abortedProducers.has(producerId)) aborted.add(message);
  }
  return aborted;
}

/** What kafkajs' own filter would then hand out, for the unit tests: the committed records. */
export function filterAbortedMessages<M extends FetchedMessage>({ messages, abortedTransactions }: { messages: M[]; abortedTransactions?: AbortedTransaction[] | null }): M[] {
  const aborted = abortedRecords(messages, abortedTransactions);
  return messages.filter((m) => !aborted.has(m) && m.isControlRecord !== true);
}

interface FetchResponse {
  responses?: { partitions?: { abortedTransactions?: AbortedTransaction[] | null; messages?: FetchedMessage[] }[] }[];
}

/** In place, on one fetch response: aborted records become control records, the list is emptied. */
export function settleAbortedTransactions(response: FetchResponse): void {
  for (const topic of response.responses ?? []) {
    for (const partition of topic.partitions ?? []) {
      if (!partition.abortedTransactions || partition.abortedTransactions.length === 0) continue;
      for (const message of abortedRecords(partition.messages ?? [], partition.abortedTransactions)) message.isControlRecord = true;
      partition.abortedTransactions = [];
    }
  }
}

const MARK = Symbol.for('ridehail.kafkajs.readCommittedFetch');

type BrokerFetch = (this: unknown, request: { isolationLevel?: number }) => Promise<FetchResponse>;

/** Wraps kafkajs' Broker.fetch once per process (module instances may repeat, the prototype does not). */
export function installReadCommittedFilter(): void {
  const require = createRequire(import.meta.url);
  const Broker = require(require.resolve('kafkajs/src/broker/index.js')) as { prototype: Record<string | symbol, unknown> };
  const proto = Broker.prototype;
  if (proto[MARK] === true) return;
  const original = proto['fetch'] as BrokerFetch;
  if (typeof original !== 'function') throw new Error('kafkajs has changed: its Broker has no fetch() to fix read_committed in');
  proto['fetch'] = async function fetch(this: unknown, request: { isolationLevel?: number }): Promise<FetchResponse> {
    const response = await original.call(this, request);
    settleAbortedTransactions(response);
    return response;
  };
  Object.defineProperty(proto, MARK, { value: true });
}

/** For the tests: true once kafkajs' fetch carries the fix. */
export function readCommittedFilterInstalled(): boolean {
  const require = createRequire(import.meta.url);
  const Broker = require(require.resolve('kafkajs/src/broker/index.js')) as { prototype: Record<symbol, unknown> };
  return Broker.prototype[MARK] === true;
}

installReadCommittedFilter();
