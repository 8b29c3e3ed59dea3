/**
 * Event ids seen recently on one input partition, so a re-sent event is dropped once.
 *
 * Memory is bounded twice:
 * - by event time: an id is kept only while the window of its event time is still open. Once the
 *   watermark has closed that window, any copy of the event is late and is refused before the
 *   duplicate check, so the id is no longer needed (`forgetBefore`).
 * - by count: never more than `capacity` ids; past it the oldest chunks go first, whatever their
 *   event time (a flood of distinct ids cannot exhaust memory; at worst a very old duplicate slips).
 *
 * Ids are grouped in chunks, one per transaction, because the changelog stores a chunk as one
 * record: one write per batch instead of one per event.
 */
export interface DedupeChunk {
  id: string;
  newestEventTimeMs: number;
  ids: string[];
}

export class RecentEventIds {
  private readonly seen = new Set<string>();
  private readonly chunks = new Map<string, DedupeChunk>();
  private pending: DedupeChunk | undefined;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.seen.size;
  }

  has(eventId: string): boolean {
    return this.seen.has(eventId);
  }

  remember(eventId: string, eventTimeMs: number): void {
    this.seen.add(eventId);
    this.addToPending(eventId, eventTimeMs);
  }

  /** has() then remember() in one set operation; false for an id already seen (a duplicate). */
  rememberIfNew(eventId: string, eventTimeMs: number): boolean {
    const before = this.seen.size;
    this.seen.add(eventId);
    if (this.seen.size === before) return false;
    this.addToPending(eventId, eventTimeMs);
    return true;
  }

  private addToPending(eventId: string, eventTimeMs: number): void {
    this.pending ??= { id: '', newestEventTimeMs: eventTimeMs, ids: [] };
    this.pending.ids.push(eventId);
    if (eventTimeMs > this.pending.newestEventTimeMs) this.pending.newestEventTimeMs = eventTimeMs;
  }

  /** Closes the ids remembered since the last seal into one chunk, named `chunkId`. */
  seal(chunkId: string): DedupeChunk | undefined {
    const chunk = this.pending;
    this.pending = undefined;
    if (!chunk) return undefined;
    chunk.id = chunkId;
    this.chunks.set(chunkId, chunk);
    return chunk;
  }

  /** Drops chunks whose every event is older than `horizonMs`, then enforces the cap; returns the dropped chunk ids. */
  forgetBefore(horizonMs: number): string[] {
    const dropped: string[] = [];
    for (const chunk of this.chunks.values()) {
      if (chunk.newestEventTimeMs < horizonMs) this.drop(chunk, dropped);
    }
    const newest = [...this.chunks.keys()].at(-1);
    for (const chunk of this.chunks.values()) {
      if (this.seen.size <= this.capacity || chunk.id === newest) break;
      this.drop(chunk, dropped);
    }
    return dropped;
  }

  restore(chunk: DedupeChunk): void {
    this.chunks.set(chunk.id, chunk);
    for (const id of chunk.ids) this.seen.add(id);
  }

  /** After a restore the changelog's order is not age order: put chunks back oldest first. */
  sortChunks(): void {
    const sorted = [...this.chunks.values()].sort((a, b) => a.newestEventTimeMs - b.newestEventTimeMs);
    this.chunks.clear();
    for (const chunk of sorted) this.chunks.set(chunk.id, chunk);
  }

  private drop(chunk: DedupeChunk, dropped: string[]): void {
    for (const id of chunk.ids) this.seen.delete(id);
    this.chunks.delete(chunk.id);
    dropped.push(chunk.id);
  }
}
