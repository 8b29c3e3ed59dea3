import { describe, expect, it } from 'vitest';
import { filterAbortedMessages, readCommittedFilterInstalled, settleAbortedTransactions, type FetchedMessage } from '../../../src/kafka/read-committed.js';
import '../../../src/kafka/kafkajs.js';

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

function record(offset: number, producerId: number, value = `p${producerId}@${offset}`): FetchedMessage & { value: string } {
  return { offset: String(offset), key: null, value, batchContext: { producerId: String(producerId), inTransaction: true } };
}
function marker(offset: number, producerId: number, key: Buffer): FetchedMessage & { value: string } {
  return { offset: String(offset), key, isControlRecord: true, value: key.equals(ABORT) ? 'abort' : 'commit', batchContext: { producerId: String(producerId), inTransaction: true } };
}
const values = (messages: { value: string; isControlRecord?: boolean }[]): string[] => messages.filter((m) => !m.isControlRecord).map((m) => m.value);

describe('the read_committed filter', () => {
  it('drops an aborted transaction that started before another one that aborted first', () => {
    // Producer 1 starts at 0, producer 2 at 1; 2 aborts at 2, 1 at 4. The broker lists aborted
    // transactions in marker order: producer 2 first.
    const messages = [record(0, 1), record(1, 2), marker(2, 2, ABORT), record(3, 1), marker(4, 1, ABORT), record(5, 3)];
    const kept = filterAbortedMessages({ messages, abortedTransactions: [{ producerId: '2', firstOffset: '1' }, { producerId: '1', firstOffset: '0' }] });
    expect(values(kept)).toEqual(['p3@5']);
  });

  it('keeps a producer committed transactions on either side of its aborted one', () => {
    const messages = [record(0, 1, 'first'), marker(1, 1, COMMIT), record(2, 1, 'aborted'), marker(3, 1, ABORT), record(4, 1, 'third'), marker(5, 1, COMMIT)];
    const kept = filterAbortedMessages({ messages, abortedTransactions: [{ producerId: '1', firstOffset: '2' }] });
    expect(values(kept)).toEqual(['first', 'third']);
  });

  it('drops records of an aborted transaction whose start is before the fetched offsets', () => {
    const messages = [record(10, 1), record(11, 2), marker(12, 1, ABORT), marker(13, 2, ABORT)];
    const kept = filterAbortedMessages({ messages, abortedTransactions: [{ producerId: '1', firstOffset: '3' }, { producerId: '2', firstOffset: '5' }] });
    expect(values(kept)).toEqual([]);
  });

  it('leaves records outside transactions alone, even from a producer id that aborted', () => {
    const plain = { ...record(1, 1, 'plain'), batchContext: { producerId: '1', inTransaction: false } };
    const kept = filterAbortedMessages({ messages: [record(0, 1), plain], abortedTransactions: [{ producerId: '1', firstOffset: '0' }] });
    expect(values(kept)).toEqual(['plain']);
  });

  it('flags the aborted records of a fetch response as control records and empties its aborted list, so kafkajs hands out only the committed ones', () => {
    const messages = [record(0, 1), record(1, 2), marker(2, 2, ABORT), record(3, 1), marker(4, 1, ABORT), record(5, 3)];
    const response = { responses: [{ partitions: [{ abortedTransactions: [{ producerId: '2', firstOffset: '1' }, { producerId: '1', firstOffset: '0' }], messages }] }] };
    settleAbortedTransactions(response);
    expect(response.responses[0]!.partitions[0]!.abortedTransactions).toEqual([]);
    // Every record stays (kafkajs counts offsets over all of them); what it hands out is the rest.
    expect(messages.filter((m) => !m.isControlRecord).map((m) => m.value)).toEqual(['p3@5']);
    expect(messages).toHaveLength(6);
  });

  it('is installed in kafkajs once kafkajs is imported through src/kafka/kafkajs.ts', () => {
    expect(readCommittedFilterInstalled()).toBe(true);
  });
});
