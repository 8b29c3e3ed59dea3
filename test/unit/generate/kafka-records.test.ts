import { Partitioners } from '../../../src/kafka/kafkajs.js';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../../src/generate/murmur2.js';
import { RecordPacker, unpackRecords } from '../../../src/generate/record-pack.js';
import { Rng } from '../../../src/generate/random.js';
import type { OutRecord } from '../../../src/generate/records.js';

/** What the Kafka sink does to records before kafkajs sees them: partitioning and packing. */

describe("the sink's key partitioner", () => {
  it("puts every key on the partition kafkajs's default partitioner (the Java client's murmur2) would", () => {
    const reference = Partitioners.DefaultPartitioner();
    const rng = Rng.derive('murmur2');
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789_-é漢🚕';
    for (let i = 0; i < 20_000; i++) {
      const length = rng.int(0, 40);
      let key = '';
      for (let j = 0; j < length; j++) key += [...alphabet][rng.int(0, [...alphabet].length - 1)];
      const partitions = rng.int(1, 64);
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
      const expected = reference({ topic: 't', partitionMetadata, message: { key, value: null } });
      if (partitionForKey(Buffer.from(key), partitions) !== expected) throw new Error(`key ${JSON.stringify(key)} over ${partitions}: expected ${expected}`);
    }
  });

  it('matches known values of the Java murmur2', () => {
    // From Kafka's UtilsTest.testMurmur2.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });
});

describe('records packed for the producer thread', () => {
  const record = (topic: string, key: string, value: string, json = true): OutRecord => ({ topic, key, value, json });

  it('come back per topic, in order, byte for byte, whatever the script', () => {
    const records = [
      record('ride_events', 'ride_1', '{"a":1}'),
      record('vehicle_events', 'veh_1', '{"city":"tyo","name":"大翔 桜井"}'),
      record('ride_events', 'ride_2', '{"x":"São Paulo 🚕"}'),
      record('user_events', '', ''),
      record('ride_events', 'ride_1', '{"truncated', false),
      record('user_events', 'clé-ü-漢', '{}'),
    ];
    const packer = new RecordPacker();
    for (const r of records) packer.add(r);
    expect(packer.count).toBe(6);
    const packed = packer.take();
    expect(packer.count).toBe(0);
    const byTopic = unpackRecords(packed);
    const text = (topic: string) => byTopic.get(topic)!.map((m) => [m.key.toString('utf8'), m.value.toString('utf8')]);
    expect([...byTopic.keys()]).toEqual(['ride_events', 'vehicle_events', 'user_events']);
    expect(text('ride_events')).toEqual([['ride_1', '{"a":1}'], ['ride_2', '{"x":"São Paulo 🚕"}'], ['ride_1', '{"truncated']]);
    expect(text('vehicle_events')).toEqual([['veh_1', '{"city":"tyo","name":"大翔 桜井"}']]);
    expect(text('user_events')).toEqual([['', ''], ['clé-ü-漢', '{}']]);
  });

  it('grow past their first buffer and start afresh after each hand-over', () => {
    const packer = new RecordPacker();
    const big = 'x'.repeat(300_000);
    for (let i = 0; i < 8; i++) packer.add(record('t', `k${i}`, big));
    const first = packer.take();
    expect(first.length).toBeGreaterThan(8 * 300_000);
    packer.add(record('u', 'k', 'small'));
    const second = packer.take();
    expect(unpackRecords(first).get('t')!.map((m) => m.value.length)).toEqual(Array(8).fill(300_000));
    expect([...unpackRecords(second).keys()]).toEqual(['u']);
  });

  it('refuse a buffer that was cut short', () => {
    const packer = new RecordPacker();
    packer.add(record('t', 'key', 'value'));
    const packed = packer.take();
    expect(() => unpackRecords({ ...packed, length: packed.length - 2 })).toThrow(/corrupt/);
  });
});
