import { describe, expect, it } from 'vitest';
import { chunked, copyChunks, copyLine, copyText, CopyRows, prefixedCopyChunks } from '../../../src/warehouse/copy.js';
import {
  addToBatch, emptyBatch, fileLineToRecord, prepareFileLine, prepareRecord, stagedCopyChunks, stagedCopyLines, unloadedPart, type Prepared,
} from '../../../src/warehouse/loader.js';
import { buildWorld } from './fixtures.js';

const world = buildWorld({ rides: 30, pingsPerRide: 2 });
const ping = world.lines.find((l) => l.topic === 'vehicle_events')!;
const signup = world.lines.find((l) => l.topic === 'user_events')!;

/** The lines a file can hold, well-formed or not, each meant to take one branch of the loader. */
const lines: string[] = [
  ...world.lines.map((l) => JSON.stringify(l)),
  'not json',
  '{"key":"x"}',
  'null',
  '[]',
  '{"topic":5}',
  '{"topic":"ride_metrics_1m","key":"k","value":{}}',
  '{"topic":"ride_events","key":"k","value":null}',
  '{"topic":"ride_events","key":"k"}',
  '{"topic":"ride_events","key":"k","value":"{"}',
  '{"topic":"ride_events","key":"k","value":[]}',
  JSON.stringify({ topic: 'ride_events', key: 'k', value: { event_type: 'nonsense' } }),
  JSON.stringify({ ...ping, key: 'tab\there, back\\slash, new\nline' }),
  JSON.stringify({ ...ping, key: 7 }),
  JSON.stringify({ ...ping, key: { nested: true } }),
  JSON.stringify({ ...ping, key: null }),
  JSON.stringify({ ...ping, value: JSON.stringify(ping.value) }),
  JSON.stringify({ ...ping, value: { ...ping.value, event_time: '2026-03-02T12:00:00Z' } }),
  JSON.stringify({ ...ping, value: { ...ping.value, event_time: '2026-03-02T13:00:00.123456+01:00' } }),
  JSON.stringify({ ...signup, value: { ...signup.value, profile: { ...(signup.value['profile'] as object), name: 'Tab\tand "quotes" \\ é' } } }),
];

/** What load.ts did before prepareFileLine: fileLineToRecord, then prepareRecord. */
function twoStep(line: string, stream: string, offset: number): Prepared {
  const record = fileLineToRecord(line, stream, offset);
  if ('error' in record) return { kind: 'rejected', rejected: { offset, topic: null, reason: record.error } };
  return prepareRecord(record, 'salt');
}

describe('staging a file line in one step', () => {
  it('gives exactly what fileLineToRecord then prepareRecord give, for every kind of line', () => {
    for (const [i, line] of lines.entries()) expect(prepareFileLine(line, 'sha', i, 'salt'), line).toEqual(twoStep(line, 'sha', i));
  });

  it('formats the COPY fields as copyLine does, escapes included', () => {
    for (const [i, line] of lines.entries()) {
      const prepared = prepareFileLine(line, 'sha', i, 'salt');
      if (prepared.kind !== 'row') continue;
      const r = prepared.row;
      const full = copyLine(['file', 'sha', 0, i, r.topic, r.key, r.eventId, r.eventType, new Date(r.eventTimeMs).toISOString(), r.payload]);
      expect(`file\tsha\t0\t${r.copyFields}${copyText(r.payload)}\n`).toBe(full);
    }
  });
});

describe('COPY buffers', () => {
  const texts = ['ab\n', 'cé\n', '€€€€\n', `${'x'.repeat(40)}\n`, '😀 and \\N\n', ''];

  it('copyChunks encodes exactly what chunked joins, whatever the chunk size', () => {
    for (const size of [1, 3, 5, 8, 64, 1024]) {
      expect(Buffer.concat([...copyChunks(texts, size)]).toString('utf8')).toBe([...chunked(texts, size)].join(''));
      for (const chunk of [...copyChunks(texts, size)].slice(0, -1)) expect(chunk.length).toBeLessThanOrEqual(Math.max(size, 41));
    }
  });

  it('CopyRows keeps each row whole and prefixedCopyChunks puts the shared columns before each', () => {
    const store = new CopyRows();
    const places = [store.append('1\tx\t', 'ä'), store.append('2\t', '{"a":"€"}'), store.append('3\t', 'y'.repeat(3 * 1024 * 1024))];
    expect(store.chunks.length).toBe(2);
    const text = Buffer.concat([...prefixedCopyChunks('7\tfile\t', store, places)]).toString('utf8');
    expect(text).toBe(`7\tfile\t1\tx\tä\n7\tfile\t2\t{"a":"€"}\n7\tfile\t3\t${'y'.repeat(3 * 1024 * 1024)}\n`);
  });

  it('a batch streams the same text as its lines, also after a replay drops its head', () => {
    const batch = emptyBatch('file', 'sha\tod', 0, 0);
    lines.forEach((line, i) => addToBatch(batch, prepareFileLine(line, 'sha\tod', i, 'salt')));
    expect(batch.rows.length).toBeGreaterThan(world.lines.length);
    for (const part of [batch, unloadedPart(batch, 17)]) {
      const streamed = Buffer.concat([...stagedCopyChunks(part, 42)]).toString('utf8');
      expect(streamed).toBe([...stagedCopyLines(part, 42)].join(''));
      expect(streamed.split('\n').slice(0, -1).map((l) => l.split('\t').slice(0, 5))).toEqual(
        part.rows.map((r) => ['42', 'file', 'sha\\tod', '0', String(r.offset)]),
      );
    }
  });
});
