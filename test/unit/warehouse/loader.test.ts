import { describe, expect, it } from 'vitest';
import {
  addToBatch, batchSize, emptyBatch, fileLineToRecord, prepareRecord, stagedCopyLines, unloadedPart, type SourceRecord,
} from '../../../src/warehouse/loader.js';
import { copyLine, escapeCopyText, chunked } from '../../../src/warehouse/copy.js';
import { buildWorld } from './fixtures.js';

const world = buildWorld({ rides: 8, pingsPerRide: 1 });

function record(line: (typeof world.lines)[number], offset: number): SourceRecord {
  return { origin: 'file', stream: 'abc', partition: 0, offset, topic: line.topic, key: line.key, value: JSON.stringify(line.value) };
}

describe('loader planning', () => {
  it('accepts every fixture record as contract-valid', () => {
    const results = world.lines.map((l, i) => prepareRecord(record(l, i), 's'));
    expect(results.filter((r) => r.kind !== 'row')).toEqual([]);
  });

  it('keys enriched rides by status and raw events by event id and type', () => {
    const enriched = world.lines.findIndex((l) => l.topic === 'enriched_rides');
    const prepared = prepareRecord(record(world.lines[enriched]!, enriched), 's');
    expect(prepared.kind === 'row' && prepared.row.eventId).toBe(null);
    expect(prepared.kind === 'row' && ['completed', 'cancelled'].includes(String(prepared.row.eventType))).toBe(true);
    const raw = prepareRecord(record(world.lines[0]!, 0), 's');
    expect(raw.kind === 'row' && raw.row.eventType).toBe('customer_signup');
  });

  it('rejects a record that breaks the contract, with the reason, and ignores topics it does not keep', () => {
    const bad = prepareRecord({ ...record(world.lines[0]!, 0), value: '{"event_type":"customer_signup"}' }, 's');
    expect(bad.kind).toBe('rejected');
    expect(bad.kind === 'rejected' && bad.rejected.reason).toMatch(/user_events\.schema\.json/);
    expect(prepareRecord({ ...record(world.lines[0]!, 0), value: '{' }, 's').kind).toBe('rejected');
    expect(prepareRecord({ ...record(world.lines[0]!, 0), value: null }, 's').kind).toBe('rejected');
    expect(prepareRecord({ ...record(world.lines[0]!, 0), topic: 'ride_metrics_1m' }, 's').kind).toBe('ignored');
  });

  it('never stages personal data in clear', () => {
    for (const [i, line] of world.lines.entries()) {
      const prepared = prepareRecord(record(line, i), 's');
      if (prepared.kind !== 'row') continue;
      for (const clear of world.pii) expect(prepared.row.payload).not.toContain(clear);
    }
  });

  it('reads a generate --out line and numbers it by its position in the file', () => {
    const parsed = fileLineToRecord(JSON.stringify({ topic: 'ride_events', key: 'ride_1', value: { a: 1 } }), 'sha', 41);
    expect(parsed).toEqual({ origin: 'file', stream: 'sha', partition: 0, offset: 41, topic: 'ride_events', key: 'ride_1', value: null, parsed: { a: 1 } });
    expect(fileLineToRecord(JSON.stringify({ topic: 't', key: null, value: '{"a":1}' }), 'sha', 0)).toMatchObject({ key: null, value: '{"a":1}' });
    expect(fileLineToRecord('nope', 'sha', 3)).toMatchObject({ offset: 3, error: expect.stringMatching(/line 4 is not JSON/) });
    expect(fileLineToRecord('{"key":"x"}', 'sha', 0)).toMatchObject({ error: expect.stringMatching(/no "topic"/) });
  });

  it('batches consecutive offsets and refuses offsets that go backwards', () => {
    const batch = emptyBatch('file', 'sha', 0, 0);
    addToBatch(batch, { kind: 'ignored', offset: 10 });
    addToBatch(batch, { kind: 'rejected', rejected: { offset: 11, topic: null, reason: 'x' } });
    expect(batch.firstOffset).toBe(10);
    expect(batch.nextOffset).toBe(12);
    expect(batchSize(batch)).toBe(2);
    expect(() => addToBatch(batch, { kind: 'ignored', offset: 11 })).toThrow(/offsets must increase/);
  });

  it('drops from a replayed batch exactly what the stored offset says is loaded', () => {
    const batch = emptyBatch('kafka', 'ride_events', 2, 0);
    for (let i = 0; i < 5; i++) {
      const prepared = prepareRecord({ ...record(world.lines[i]!, 100 + i), origin: 'kafka' }, 's');
      addToBatch(batch, prepared);
    }
    expect(unloadedPart(batch, 0)).toBe(batch);
    const rest = unloadedPart(batch, 103);
    expect(rest.rows.map((r) => r.offset)).toEqual([103, 104]);
    expect(rest.firstOffset).toBe(103);
    expect(rest.nextOffset).toBe(105);
    const none = unloadedPart(batch, 200);
    expect(none.rows).toEqual([]);
    expect(none.nextOffset).toBe(200);
  });

  it('writes staged rows as COPY text lines with the batch id and position', () => {
    const batch = emptyBatch('file', 'abc', 0, 0);
    addToBatch(batch, prepareRecord(record(world.lines[0]!, 0), 's'));
    const [line] = [...stagedCopyLines(batch, 7)];
    const fields = line!.replace(/\n$/, '').split('\t');
    expect(fields.slice(0, 7)).toEqual(['7', 'file', 'abc', '0', '0', 'user_events', 'cus_1']);
    expect(fields).toHaveLength(11);
  });
});

describe('COPY text format', () => {
  it('escapes the characters that would end a field or a row', () => {
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyLine(['x', null, 3, 'y\tz'])).toBe('x\t\\N\t3\ty\\tz\n');
  });

  it('groups lines into large chunks without splitting any', () => {
    const chunks = [...chunked(['ab\n', 'cd\n', 'ef\n'], 5)];
    expect(chunks).toEqual(['ab\ncd\n', 'ef\n']);
    expect([...chunked([], 5)]).toEqual([]);
  });
});
