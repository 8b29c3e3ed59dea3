import { closeSync, createReadStream, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { City } from './cities.js';
import type { FaultEntry, FaultKind } from './faults.js';
import type { SimEvent } from './simulation.js';

/**
 * What a run produced, so a test downstream can check its numbers against the source: totals of
 * the clean stream per topic and event type, per-city ride counts and revenue, and every injected
 * fault. Faults are spooled to a side file while the run goes on (a month-long run with faults
 * would not fit in memory) and stitched into the manifest at the end.
 */

export interface CityTotals {
  rides_requested: number;
  rides_completed: number;
  rides_cancelled: number;
  /** Sum of fare.total over completed rides, in `currency`. */
  revenue: number;
  currency: string;
}

export interface TopicTotals {
  events: number;
  by_type: Record<string, number>;
}

export interface Manifest {
  manifest_version: 1;
  parameters: Record<string, unknown>;
  /** Why the run ended: count, duration, signal (SIGINT/SIGTERM), or end (the source ran dry). */
  stopped_by: string;
  event_time: { first: string | null; last: string | null };
  totals: {
    /** Clean events generated, each counted once. */
    events: number;
    /** Records written: the clean events plus injected invalid copies and duplicates. */
    records: number;
    by_topic: Record<string, TopicTotals>;
  };
  cities: Record<string, CityTotals>;
  faults: { counts: Record<FaultKind, number>; records: FaultEntry[] };
}

/** Counts of the clean stream, kept as the runner hands events on. */
export class RunTally {
  events = 0;
  records = 0;
  firstMs: number | undefined;
  lastMs: number | undefined;
  readonly byTopic = new Map<string, { events: number; byType: Map<string, number> }>();
  private readonly cities = new Map<string, { requested: number; completed: number; cancelled: number; revenueCents: number; currency: string }>();

  constructor(cities: readonly City[]) {
    for (const city of cities) {
      this.cities.set(city.code, { requested: 0, completed: 0, cancelled: 0, revenueCents: 0, currency: city.currency });
    }
  }

  observe(event: SimEvent): void {
    this.events++;
    this.firstMs ??= event.timeMs;
    this.lastMs = event.timeMs;
    let topic = this.byTopic.get(event.topic);
    if (!topic) {
      topic = { events: 0, byType: new Map() };
      this.byTopic.set(event.topic, topic);
    }
    topic.events++;
    const type = event.value.event_type;
    topic.byType.set(type, (topic.byType.get(type) ?? 0) + 1);
    if (event.topic !== 'ride_events') return;
    const city = this.cities.get(event.value.city);
    if (!city) return;
    const value = event.value;
    if (value.event_type === 'ride_requested') city.requested++;
    else if (value.event_type === 'ride_cancelled') city.cancelled++;
    else if (value.event_type === 'ride_completed') {
      city.completed++;
      // Whole cents, so a month of fares adds up without floating-point drift.
      city.revenueCents += Math.round(value.fare.total * 100);
    }
  }

  eventsOf(topic: string): number {
    return this.byTopic.get(topic)?.events ?? 0;
  }

  totals(): Manifest['totals'] {
    const byTopic: Record<string, TopicTotals> = {};
    for (const name of [...this.byTopic.keys()].sort()) {
      const topic = this.byTopic.get(name)!;
      byTopic[name] = { events: topic.events, by_type: Object.fromEntries([...topic.byType.entries()].sort(([a], [b]) => a.localeCompare(b))) };
    }
    return { events: this.events, records: this.records, by_topic: byTopic };
  }

  cityTotals(): Record<string, CityTotals> {
    const out: Record<string, CityTotals> = {};
    for (const [code, c] of this.cities) {
      out[code] = { rides_requested: c.requested, rides_completed: c.completed, rides_cancelled: c.cancelled, revenue: c.revenueCents / 100, currency: c.currency };
    }
    return out;
  }
}

/** Writes the manifest file; faults go to `<path>.faults.tmp` until `finish`. */
export class ManifestWriter {
  private fd: number | undefined;
  private buffer: string[] = [];
  private buffered = 0;
  private readonly spool: string;
  readonly counts: Record<FaultKind, number> = { invalid: 0, duplicate: 0, late: 0 };

  constructor(readonly path: string) {
    this.spool = `${path}.faults.tmp`;
  }

  fault(entry: FaultEntry): void {
    this.counts[entry.kind]++;
    this.buffer.push(JSON.stringify({ kind: entry.kind, topic: entry.topic, key: entry.key, event_id: entry.event_id, reason: entry.reason }));
    this.buffered += 1;
    if (this.buffered >= 1000) this.flushSpool();
  }

  private flushSpool(): void {
    if (this.buffer.length === 0) return;
    this.fd ??= openSync(this.spool, 'w');
    writeSync(this.fd, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
    this.buffered = 0;
  }

  /** Writes the manifest (atomically: a reader never sees half of it) and removes the spool. */
  async finish(manifest: Omit<Manifest, 'faults'>): Promise<void> {
    this.flushSpool();
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    const partial = `${this.path}.tmp`;
    const out = openSync(partial, 'w');
    try {
      const head = JSON.stringify(manifest, null, 2);
      writeSync(out, `${head.slice(0, head.lastIndexOf('}')).trimEnd()},\n  "faults": {\n    "counts": ${JSON.stringify(this.counts)},\n    "records": [`);
      let first = true;
      if (this.counts.invalid + this.counts.duplicate + this.counts.late > 0) {
        const lines = createInterface({ input: createReadStream(this.spool, 'utf8'), crlfDelay: Infinity });
        let chunk: string[] = [];
        for await (const line of lines) {
          if (line.length === 0) continue;
          chunk.push(`${first ? '' : ','}\n      ${line}`);
          first = false;
          if (chunk.length >= 1000) {
            writeSync(out, chunk.join(''));
            chunk = [];
          }
        }
        writeSync(out, chunk.join(''));
      }
      writeSync(out, `${first ? '' : '\n    '}]\n  }\n}\n`);
    } finally {
      closeSync(out);
    }
    renameSync(partial, this.path);
    rmSync(this.spool, { force: true });
  }
}
