import type { Commit, PartitionWriter, SourceHandler, StageSink, StageSource } from './runner.js';
import type { SourceRecord, StateEntry, TopicPartition } from './records.js';
import { sourceId } from './records.js';
import { hash53 } from './partials.js';

/**
 * An in-memory stand-in for the broker: committed logs, group offsets and a changelog, with the
 * same all-or-nothing commit as a Kafka transaction. Unit tests and the processing benchmark run
 * the real runner and processors on it; `crashAtCommit` simulates a crash between processing and commit.
 */
export interface StoredRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export class MemoryBroker {
  readonly logs = new Map<string, StoredRecord[][]>();
  readonly groupOffsets = new Map<string, number>();
  readonly changelog = new Map<string, Map<string, string>>();
  commits = 0;
  /** When `commits` reaches this number, that commit throws before anything is applied (a crash). */
  crashAtCommit: number | null = null;

  constructor(private readonly defaultPartitions = 1) {}

  createTopic(topic: string, partitions = this.defaultPartitions): void {
    if (!this.logs.has(topic)) this.logs.set(topic, Array.from({ length: partitions }, () => []));
  }

  partitionsOf(topic: string): number {
    this.createTopic(topic);
    return this.logs.get(topic)!.length;
  }

  produce(topic: string, key: string | Buffer | null, value: string | Buffer | null, partition?: number, headers: Record<string, string> = {}): void {
    this.createTopic(topic);
    const partitions = this.logs.get(topic)!;
    const keyBuffer = key === null ? null : Buffer.from(key);
    const target = partition ?? (keyBuffer ? hash53(keyBuffer.toString('latin1')) % partitions.length : 0);
    const log = partitions[target]!;
    log.push({ offset: log.length, key: keyBuffer, value: value === null ? null : Buffer.from(value), headers });
  }

  records(topic: string): StoredRecord[] {
    return (this.logs.get(topic) ?? []).flat();
  }

  values<T>(topic: string): T[] {
    return this.records(topic).map((r) => JSON.parse(r.value!.toString('utf8')) as T);
  }

  committedOffset(group: string, tp: TopicPartition): number {
    return this.groupOffsets.get(`${group}|${sourceId(tp)}`) ?? 0;
  }

  sink(group: string): StageSink {
    return {
      openWriter: async (tp) => this.writer(group, tp),
      readState: async (partitions) => {
        const result = new Map<string, StateEntry[]>();
        for (const tp of partitions) {
          const entries = this.changelog.get(sourceId(tp));
          if (entries) result.set(sourceId(tp), [...entries].map(([key, value]) => ({ key, value })));
        }
        return result;
      },
    };
  }

  private writer(group: string, tp: TopicPartition): PartitionWriter {
    return {
      commit: async (commit: Commit) => {
        if (this.crashAtCommit !== null && this.commits >= this.crashAtCommit) {
          this.crashAtCommit = null;
          throw new Error('simulated crash before commit');
        }
        for (const o of commit.outputs) {
          const headers = o.headers ?? {};
          this.produce(o.topic, o.key, o.value, o.partition, headers);
        }
        let state = this.changelog.get(sourceId(tp));
        if (!state) this.changelog.set(sourceId(tp), (state = new Map()));
        for (const entry of commit.state) {
          if (entry.value === null) state.delete(entry.key);
          else state.set(entry.key, entry.value);
        }
        if (commit.nextOffset !== null) this.groupOffsets.set(`${group}|${sourceId(tp)}`, commit.nextOffset);
        this.commits += 1;
      },
      close: async () => undefined,
    };
  }

  /** A source reading committed records from the group's committed offsets, `batchSize` at a time. */
  source(group: string, topics: string[], batchSize = 500): MemorySource {
    return new MemorySource(this, group, topics, batchSize);
  }
}

export class MemorySource implements StageSource {
  private readonly positions = new Map<string, number>();
  private started = false;

  constructor(
    private readonly broker: MemoryBroker,
    private readonly group: string,
    private readonly topics: string[],
    private readonly batchSize: number,
  ) {}

  partitions(): TopicPartition[] {
    return this.topics.flatMap((topic) => Array.from({ length: this.broker.partitionsOf(topic) }, (_, partition) => ({ topic, partition })));
  }

  /** Delivers every record available now, batch by batch; returns how many were delivered. */
  async pump(handler: SourceHandler): Promise<number> {
    if (!this.started) {
      this.started = true;
      const partitions = this.partitions();
      for (const tp of partitions) this.positions.set(sourceId(tp), this.broker.committedOffset(this.group, tp));
      await handler.assigned(partitions);
    }
    let delivered = 0;
    for (let more = true; more; ) {
      more = false;
      for (const tp of this.partitions()) {
        const id = sourceId(tp);
        const log = this.broker.logs.get(tp.topic)?.[tp.partition] ?? [];
        const from = this.positions.get(id) ?? 0;
        if (from >= log.length) continue;
        const slice = log.slice(from, from + this.batchSize);
        const records: SourceRecord[] = slice.map((r) => ({ ...tp, offset: r.offset, key: r.key, value: r.value, timestamp: 0 }));
        await handler.batch(tp, records, from + slice.length >= log.length);
        this.positions.set(id, from + slice.length);
        delivered += slice.length;
        more = true;
      }
    }
    return delivered;
  }

  async run(handler: SourceHandler, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const delivered = await this.pump(handler);
      if (delivered === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
