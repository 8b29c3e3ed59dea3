import { describe, expect, it } from 'vitest';
import { RecentEventIds } from '../../../src/enrich/dedupe.js';

describe('recent event ids', () => {
  it('an id is seen once remembered, and chunks seal per transaction', () => {
    const ids = new RecentEventIds(100);
    ids.remember('a', 1_000);
    ids.remember('b', 2_000);
    expect(ids.has('a')).toBe(true);
    expect(ids.has('c')).toBe(false);
    expect(ids.seal('0')).toEqual({ id: '0', newestEventTimeMs: 2_000, ids: ['a', 'b'] });
    expect(ids.seal('1')).toBeUndefined();
  });

  it('ids are forgotten once every event of their chunk is older than the horizon', () => {
    const ids = new RecentEventIds(100);
    ids.remember('old', 1_000);
    ids.seal('0');
    ids.remember('new', 5_000);
    ids.seal('1');
    expect(ids.forgetBefore(3_000)).toEqual(['0']);
    expect(ids.has('old')).toBe(false);
    expect(ids.has('new')).toBe(true);
    expect(ids.size).toBe(1);
  });

  it('memory stays under the cap: the oldest chunks go first, whatever their event time', () => {
    const ids = new RecentEventIds(3);
    for (let chunk = 0; chunk < 4; chunk++) {
      ids.remember(`e${chunk}a`, 1_000_000);
      ids.remember(`e${chunk}b`, 1_000_000);
      ids.seal(String(chunk));
    }
    const dropped = ids.forgetBefore(0);
    expect(dropped).toEqual(['0', '1', '2']);
    expect(ids.size).toBe(2);
    expect(ids.has('e3a')).toBe(true);
  });

  it('restored chunks answer like the ones they were saved from', () => {
    const ids = new RecentEventIds(10);
    ids.restore({ id: '7', newestEventTimeMs: 10, ids: ['x', 'y'] });
    ids.sortChunks();
    expect(ids.has('x')).toBe(true);
    expect(ids.forgetBefore(11)).toEqual(['7']);
  });
});
