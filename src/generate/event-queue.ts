/**
 * The simulation's agenda: a binary min-heap on (time, insertion order). Ties resolve in the
 * order actions were scheduled, which keeps runs deterministic.
 */
export interface Scheduled {
  at: number;
  seq: number;
}

export class EventQueue<T extends Scheduled> {
  private readonly heap: T[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Time of the earliest action, or Infinity when nothing is scheduled. */
  peekTime(): number {
    return this.heap[0]?.at ?? Infinity;
  }

  push(item: T): void {
    item.seq = this.nextSeq++;
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.at < item.at || (p.at === item.at && p.seq < item.seq)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  pop(): T | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      let c = heap[left]!;
      if (right < n) {
        const r = heap[right]!;
        if (r.at < c.at || (r.at === c.at && r.seq < c.seq)) {
          child = right;
          c = r;
        }
      }
      if (last.at < c.at || (last.at === c.at && last.seq < c.seq)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
