/**
 * The simulation's agenda: a binary min-heap on (time, insertion order). Ties resolve in the
 * order actions were scheduled, which keeps runs deterministic.
 */
export interface Scheduled {
  at: number;
  seq: number;
}

export class EventQueue<T extends Scheduled> {
  // The keys live in typed arrays beside the items: sifting compares keys only, and reading them
  // from contiguous memory instead of from each item (scattered over the heap, tens of thousands
  // of them) was the simulation's largest cost.
  private items: (T | undefined)[] = [];
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private count = 0;
  private nextSeq = 0;

  get size(): number {
    return this.count;
  }

  /** Time of the earliest action, or Infinity when nothing is scheduled. */
  peekTime(): number {
    return this.count > 0 ? this.times[0]! : Infinity;
  }

  push(item: T): void {
    item.seq = this.nextSeq++;
    if (this.count === this.times.length) this.grow();
    const { items, times, seqs } = this;
    const at = item.at;
    const seq = item.seq;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < at || (pt === at && seqs[parent]! < seq)) break;
      items[i] = items[parent];
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      i = parent;
    }
    items[i] = item;
    times[i] = at;
    seqs[i] = seq;
  }

  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const { items, times, seqs } = this;
    const top = items[0];
    const n = --this.count;
    const last = items[n];
    const lastAt = times[n]!;
    const lastSeq = seqs[n]!;
    items[n] = undefined;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      let ct = times[left]!;
      let cs = seqs[left]!;
      if (right < n) {
        const rt = times[right]!;
        const rs = seqs[right]!;
        if (rt < ct || (rt === ct && rs < cs)) {
          child = right;
          ct = rt;
          cs = rs;
        }
      }
      if (lastAt < ct || (lastAt === ct && lastSeq < cs)) break;
      items[i] = items[child];
      times[i] = ct;
      seqs[i] = cs;
      i = child;
    }
    items[i] = last;
    times[i] = lastAt;
    seqs[i] = lastSeq;
    return top;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    const seqs = new Float64Array(this.seqs.length * 2);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
  }
}
