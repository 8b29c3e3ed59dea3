import { describe, expect, it } from 'vitest';
import { ChunkLog } from '../../../src/enrich/chunk-log.js';

/**
 * A compacted changelog of chunks, driven the way the source processor drives it: each commit
 * writes the changed entities (snapshots or deletion marks) as new chunks and deletes the chunks
 * the log retires. Restoring means replaying the chunks left, oldest first.
 */
class Harness {
  readonly log: ChunkLog;
  /** What the entities are now (the processor's memory). */
  readonly current = new Map<string, number>();
  /** The compacted topic: chunk seq → its entries ([id, value] or [id] for a deletion). */
  readonly topic = new Map<number, [string, number?][]>();
  private version = 0;

  constructor(slack: number, log?: ChunkLog) {
    this.log = log ?? new ChunkLog(slack);
  }

  commit(changed: Iterable<string>, perChunk = Infinity): void {
    const dirty = new Set(changed);
    for (const id of this.log.stragglers()) dirty.add(id);
    let written: string[] = [];
    let deleted: string[] = [];
    let entries: [string, number?][] = [];
    const cut = (): void => {
      this.topic.set(this.log.append(written, deleted), entries);
      written = [];
      deleted = [];
      entries = [];
    };
    for (const id of dirty) {
      const value = this.current.get(id);
      if (value !== undefined) {
        written.push(id);
        entries.push([id, value]);
      } else if (this.log.holds(id)) {
        deleted.push(id);
        entries.push([id]);
      } else {
        continue;
      }
      if (entries.length >= perChunk) cut();
    }
    if (entries.length > 0) cut();
    for (const seq of this.log.retire()) this.topic.delete(seq);
  }

  set(id: string): void {
    this.current.set(id, ++this.version);
  }

  replay(): Map<string, number> {
    const state = new Map<string, number>();
    for (const seq of [...this.topic.keys()].sort((a, b) => a - b)) {
      for (const [id, value] of this.topic.get(seq)!) {
        if (value === undefined) state.delete(id);
        else state.set(id, value);
      }
    }
    return state;
  }

  /** A new owner: its log rebuilt from the topic, its memory from the replay. */
  restored(slack: number): Harness {
    const next = new Harness(slack);
    for (const [seq, entries] of this.topic) next.topic.set(seq, entries);
    next.log.restore([...this.topic].map(([seq, entries]) => ({
      seq,
      written: entries.filter((e) => e.length === 2).map((e) => e[0]),
      deleted: entries.filter((e) => e.length === 1).map((e) => e[0]),
    })));
    for (const [id, value] of next.replay()) next.current.set(id, value);
    next.version = this.version;
    return next;
  }

  entriesInTopic(): number {
    let n = 0;
    for (const entries of this.topic.values()) n += entries.length;
    return n;
  }
}

/** Deterministic pseudo-random numbers, so a failure replays. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

describe('entities written to a changelog in chunks', () => {
  it('replaying what the compacted log keeps gives the current entities, through writes, deletes and restarts', () => {
    const next = random(7);
    const slack = 20;
    let h = new Harness(slack);
    for (let commit = 0; commit < 400; commit++) {
      const changed: string[] = [];
      for (let i = 0; i < 1 + Math.floor(next() * 12); i++) {
        const id = `v${Math.floor(next() * 60)}`;
        if (next() < 0.2) h.current.delete(id);
        else h.set(id);
        changed.push(id);
      }
      h.commit(changed, 1 + Math.floor(next() * 5));
      expect(h.replay()).toEqual(h.current);
      if (commit % 50 === 49) {
        h = h.restored(slack);
        expect(h.current).toEqual(h.replay());
      }
    }
  });

  it('an entity that never changes does not pin every newer chunk: the log stays within twice the live entities plus the slack', () => {
    const slack = 10;
    const h = new Harness(slack);
    h.set('parked');
    h.commit(['parked']);
    let most = 0;
    for (let commit = 0; commit < 500; commit++) {
      const churn = [`a${commit % 7}`, `b${commit % 11}`, `c${commit}`];
      for (const id of churn) h.set(id);
      // Entities come and go, so some chunks hold only deletion marks.
      const gone = `c${commit - 3}`;
      h.current.delete(gone);
      h.commit([...churn, gone]);
      most = Math.max(most, h.entriesInTopic() - h.log.live);
      expect(h.replay()).toEqual(h.current);
    }
    // One commit's entries can come on top of the bound before the next commit trims them.
    expect(most).toBeLessThanOrEqual(h.log.live + slack + 8);
    expect(h.log.chunkCount).toBeLessThan(50);
  });

  it('a chunk leaves the log once nothing in it is the latest, oldest first', () => {
    const h = new Harness(0);
    h.set('a');
    h.set('b');
    h.commit(['a', 'b']);
    h.set('a');
    h.commit(['a']);
    expect([...h.topic.keys()]).toEqual([0, 1]);
    h.set('b');
    h.commit(['b']);
    expect([...h.topic.keys()]).toEqual([1, 2]);
    h.current.delete('a');
    h.commit(['a']);
    // Chunk 1 held only the latest 'a', now deleted; chunk 3 holds the deletion mark, which goes
    // as soon as no older chunk could bring 'a' back.
    expect([...h.topic.keys()]).toEqual([2, 3]);
    expect(h.replay()).toEqual(new Map([['b', h.current.get('b')]]));
  });
});
