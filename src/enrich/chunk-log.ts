/**
 * Many small entities (vehicles) written to a compacted changelog in chunks: one record per
 * commit holding every entity that changed, instead of one record per entity. The producer's cost
 * is per record, and a vehicle partition changes thousands of vehicles per batch.
 *
 * A chunk (sequence number `seq`, increasing) holds a snapshot of each entity written in it, or a
 * deletion mark. Restore replays the chunks still in the log in `seq` order, the later entry of an
 * entity winning. So a chunk may only leave the log (a tombstone) once nothing it says is still
 * needed:
 *
 * - chunks leave oldest first, and only when no entity's latest snapshot is in them (`live` 0).
 *   Oldest first is what makes deletion marks safe without counting them: a mark matters only
 *   while an older chunk could still hold a snapshot of its entity, and by the time its chunk is
 *   the oldest none can.
 * - one long-lived entity must not pin every newer chunk: when the log holds more dead entries than
 *   live ones (plus `slack`), the live entities of the oldest chunk are written again (`stragglers`)
 *   so that it can leave. The log therefore stays within about twice the live state.
 *
 * Pure bookkeeping: what goes into each chunk and its encoding are the caller's.
 */
interface Chunk {
  ids: string[];
  live: number;
}

export class ChunkLog {
  /** seq → chunk, in seq order (a Map keeps insertion order, and seqs are inserted increasing). */
  private readonly chunks = new Map<number, Chunk>();
  private readonly home = new Map<string, number>();
  private entries = 0;
  private nextSeq = 0;

  constructor(private readonly slack = 10_000) {}

  /** Entities whose latest snapshot is in the log. */
  get live(): number {
    return this.home.size;
  }

  get chunkCount(): number {
    return this.chunks.size;
  }

  /** True while the log holds a snapshot of `id` that restore would bring back. */
  holds(id: string): boolean {
    return this.home.has(id);
  }

  /**
   * Records a new chunk, with snapshots of `written` and deletion marks for `deleted` (only ids the
   * log `holds` need one); returns its seq. An id is in at most one of the two.
   */
  append(written: readonly string[], deleted: readonly string[] = []): number {
    const seq = this.nextSeq++;
    const chunk: Chunk = { ids: [...written, ...deleted], live: 0 };
    this.chunks.set(seq, chunk);
    this.entries += chunk.ids.length;
    for (const id of deleted) this.leave(id);
    for (const id of written) {
      this.leave(id);
      this.home.set(id, seq);
      chunk.live += 1;
    }
    return seq;
  }

  /**
   * Live entities of the oldest chunks, to be written again, while the log holds more dead entries
   * than live ones plus the slack. Their chunks can then leave.
   */
  stragglers(): string[] {
    const out: string[] = [];
    let dead = this.entries - this.home.size;
    for (const [seq, chunk] of this.chunks) {
      if (dead <= this.home.size + this.slack) break;
      for (const id of chunk.ids) if (this.home.get(id) === seq) out.push(id);
      // Once rewritten, this chunk's entries are all dead and leave with it.
      dead -= chunk.ids.length - chunk.live;
    }
    return out;
  }

  /** The chunks that may leave now, oldest first; they are forgotten here. */
  retire(): number[] {
    const gone: number[] = [];
    for (const [seq, chunk] of this.chunks) {
      if (chunk.live > 0) break;
      this.chunks.delete(seq);
      this.entries -= chunk.ids.length;
      gone.push(seq);
    }
    return gone;
  }

  /** After a restore: the chunks found in the log, in any order. */
  restore(found: readonly { seq: number; written: readonly string[]; deleted: readonly string[] }[]): void {
    for (const { seq, written, deleted } of [...found].sort((a, b) => a.seq - b.seq)) {
      this.nextSeq = seq;
      this.append(written, deleted);
    }
  }

  private leave(id: string): void {
    const seq = this.home.get(id);
    if (seq === undefined) return;
    this.home.delete(id);
    const chunk = this.chunks.get(seq);
    if (chunk) chunk.live -= 1;
  }
}
