import type { PartitionProcessor } from './processor.js';
import { isEmptyDrain } from './processor.js';
import type { OutputRecord, SourceRecord, StateEntry, TopicPartition } from './records.js';
import { sourceId } from './records.js';

/**
 * Drives per-partition processors from a source into a sink, one transaction per input batch:
 * the batch's outputs, the state it changed and the offset after it are committed together or not
 * at all. Source and sink are parameters (as in Flink's training jobs), so unit tests feed arrays
 * and collect arrays, and the Kafka adapter stays thin.
 *
 * Each input partition has its own task: its processor, its writer (a transactional producer with
 * an id derived from the partition, so a new owner fences the old one) and a queue that keeps its
 * batches and ticks strictly in order. Partitions run concurrently with each other.
 */
export interface StageSource {
  /** Runs until `signal` aborts, calling the handler on membership changes and for each batch. */
  run(handler: SourceHandler, signal: AbortSignal): Promise<void>;
}

export interface SourceHandler {
  assigned(partitions: TopicPartition[]): Promise<void>;
  revoked(partitions: TopicPartition[]): Promise<void>;
  /** `caughtUp`: the batch reached the partition's end as of the fetch. */
  batch(tp: TopicPartition, records: SourceRecord[], caughtUp: boolean): Promise<void>;
}

export interface Commit {
  outputs: OutputRecord[];
  state: StateEntry[];
  /** Offset to commit for the input partition; null when nothing was consumed (a tick). */
  nextOffset: number | null;
}

export interface PartitionWriter {
  /** Writes outputs, state and offset atomically (or, without transactions, in that order). */
  commit(commit: Commit): Promise<void>;
  close(): Promise<void>;
}

export interface StageSink {
  /** Opens the writer of one input partition; transactional sinks fence older writers here. */
  openWriter(tp: TopicPartition): Promise<PartitionWriter>;
  /** The committed state of these partitions, keyed by sourceId, in changelog order. */
  readState(partitions: TopicPartition[]): Promise<Map<string, StateEntry[]>>;
}

export interface StageOptions<P extends PartitionProcessor> {
  name: string;
  source: StageSource;
  sink: StageSink;
  createProcessor(tp: TopicPartition): P;
  now(): number;
  /** How often idle partitions are ticked (window firing, idleness, heartbeats); 0 disables. */
  tickMs: number;
  /**
   * A partition that has had no batch since it was opened counts as caught up once the whole
   * stage has had no batch for this long (the consumer would be delivering one otherwise).
   */
  quietMs: number;
  /**
   * How long processed batches may wait to be committed together (0: every batch at once). One
   * transaction then covers several batches: fewer commits, and state written once per key per
   * commit rather than per batch. Output becomes readable up to this much later.
   */
  commitIntervalMs?: number;
  onError?(error: unknown, tp: TopicPartition): void;
}

interface Task<P> {
  tp: TopicPartition;
  processor: P;
  writer: PartitionWriter;
  queue: Promise<void>;
  queued: number;
  /** Offset in the last commit: a commit carries an offset only when it moved. */
  committedOffset: number | null;
  /** Processed but not yet committed since this time. */
  pendingSinceMs: number | null;
  /** Offset of the first record processed since the last commit. */
  firstUncommittedOffset: number | null;
  flushTimer: NodeJS.Timeout | undefined;
}

const RECOVERY_BACKOFF_MS = 5_000;

export class StageRunner<P extends PartitionProcessor> implements SourceHandler {
  private readonly tasks = new Map<string, Task<P>>();
  private readonly opening = new Map<string, Promise<Task<P> | undefined>>();
  private readonly assignment = new Map<string, TopicPartition>();
  private readonly failedAt = new Map<string, number>();
  private readonly caughtUp = new Map<string, boolean>();
  /**
   * A commit that failed outside a batch (a deferred flush, a tick) leaves the source's position
   * ahead of what was committed. The next batch throws it, so the source restarts from the
   * committed offsets (kafkajs: restart on failure, which re-reads them).
   */
  private failure: unknown;
  /**
   * Partitions whose processed-but-uncommitted records were dropped with a failed commit, and
   * the offset the source must deliver again before anything later is taken. The failure above
   * reaches the source once; kafkajs may answer it by retrying the batch in hand rather than
   * re-reading from the commit, and with several batches in one transaction (a commit interval)
   * that batch starts after records that were never committed. Taking it would lose them.
   */
  private readonly rewindTo = new Map<string, number>();
  batchesCommitted = 0;
  transactionsCommitted = 0;
  recordsIn = 0;
  lastBatchAtMs: number | null = null;
  /** When partitions were last opened (fenced and restored): a restart is busy until then. */
  lastOpenedAtMs: number | null = null;

  constructor(private readonly options: StageOptions<P>) {}

  /** The processors this process currently owns. */
  processors(): P[] {
    return [...this.tasks.values()].map((task) => task.processor);
  }

  async run(signal: AbortSignal): Promise<void> {
    const timer = this.options.tickMs > 0 ? setInterval(() => void this.tickAll(), this.options.tickMs) : undefined;
    try {
      await this.options.source.run(this, signal);
    } finally {
      if (timer) clearInterval(timer);
      await this.closeAll();
    }
  }

  async assigned(partitions: TopicPartition[]): Promise<void> {
    for (const tp of partitions) this.assignment.set(sourceId(tp), tp);
    await this.open(partitions.filter((tp) => !this.tasks.has(sourceId(tp))));
  }

  async revoked(partitions: TopicPartition[]): Promise<void> {
    await Promise.all(
      partitions.map(async (tp) => {
        const id = sourceId(tp);
        this.assignment.delete(id);
        this.caughtUp.delete(id);
        this.rewindTo.delete(id);
        await this.opening.get(id);
        const task = this.tasks.get(id);
        if (!task) return;
        this.tasks.delete(id);
        // Hand over what was processed: commit it now (a fenced writer fails, harmlessly).
        await this.enqueue(task, () => this.commit(task), true).catch(() => undefined);
        clearTimeout(task.flushTimer);
        await task.writer.close();
      }),
    );
  }

  async batch(tp: TopicPartition, records: SourceRecord[], caughtUp: boolean): Promise<void> {
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
    const id = sourceId(tp);
    this.caughtUp.set(id, caughtUp);
    if (!this.assignment.has(id)) this.assignment.set(id, tp);
    const task = this.tasks.get(id) ?? (await this.opening.get(id)) ?? (await this.open([tp]))[0];
    if (!task) throw new Error(`${this.options.name}: could not open ${id}`);
    const rewindTo = this.rewindTo.get(id);
    if (rewindTo !== undefined && records.length > 0) {
      // The re-opened state says how far the commits really got: a commit that failed only on
      // this side (a lost answer) did store those records, and then there is nothing to re-read.
      const committed = task.processor.nextOffset;
      if ((committed === null || committed <= rewindTo) && records[0]!.offset > rewindTo) {
        throw new Error(`${this.options.name}: ${id} must be read again from offset ${rewindTo} (a commit failed), not from ${records[0]!.offset}`);
      }
      this.rewindTo.delete(id);
    }
    this.recordsIn += records.length;
    this.lastBatchAtMs = this.options.now();
    await this.enqueue(task, async () => {
      const now = this.options.now();
      if (records.length > 0) task.firstUncommittedOffset ??= records[0]!.offset;
      task.processor.process(records, now);
      this.batchesCommitted += 1;
      const interval = this.options.commitIntervalMs ?? 0;
      task.pendingSinceMs ??= now;
      if (now - task.pendingSinceMs >= interval) {
        await this.commit(task);
      } else if (!task.flushTimer) {
        task.flushTimer = setTimeout(() => {
          task.flushTimer = undefined;
          if (this.tasks.get(id) === task) void this.enqueue(task, () => this.commit(task)).catch(() => undefined);
        }, interval - (now - task.pendingSinceMs));
        task.flushTimer.unref();
      }
    }, true);
  }

  /** Runs one tick on every idle partition now (the timer does this every tickMs). */
  async tickAll(): Promise<void> {
    const now = this.options.now();
    const lastActivity = Math.max(this.lastBatchAtMs ?? 0, this.lastOpenedAtMs ?? 0);
    const stageQuiet = now - lastActivity >= this.options.quietMs;
    for (const [id, tp] of this.assignment) {
      if (!this.tasks.has(id) && !this.opening.has(id) && now - (this.failedAt.get(id) ?? 0) > RECOVERY_BACKOFF_MS) {
        void this.open([tp]).catch(() => undefined);
      }
    }
    await Promise.all(
      [...this.tasks.values()].map((task) =>
        task.queued > 0
          ? undefined
          : this.enqueue(task, async () => {
              task.processor.tick(this.options.now(), this.caughtUp.get(sourceId(task.tp)) ?? stageQuiet);
              await this.commit(task);
            }).catch(() => undefined),
      ),
    );
  }

  private async open(partitions: TopicPartition[]): Promise<(Task<P> | undefined)[]> {
    if (partitions.length === 0) return [];
    const opening = (async () => {
      // Writers first: opening one fences the previous owner and aborts its open transaction, so
      // the state read next is final for these partitions.
      const writers = await Promise.all(partitions.map((tp) => this.options.sink.openWriter(tp)));
      let state: Map<string, StateEntry[]>;
      try {
        state = await this.options.sink.readState(partitions);
      } catch (error) {
        await Promise.all(writers.map((writer) => writer.close().catch(() => undefined)));
        throw error;
      }
      return partitions.map((tp, i) => {
        const processor = this.options.createProcessor(tp);
        for (const entry of state.get(sourceId(tp)) ?? []) if (entry.value !== null) processor.restore(entry.key, entry.value);
        processor.finishRestore();
        const task: Task<P> = {
          tp, processor, writer: writers[i]!, queue: Promise.resolve(), queued: 0,
          committedOffset: processor.nextOffset, pendingSinceMs: null, firstUncommittedOffset: null, flushTimer: undefined,
        };
        this.tasks.set(sourceId(tp), task);
        return task;
      });
    })();
    void opening.then(() => (this.lastOpenedAtMs = this.options.now()), () => undefined);
    const perPartition = partitions.map((tp, i) => {
      const one = opening.then((tasks) => tasks[i]).catch(() => undefined);
      this.opening.set(sourceId(tp), one);
      return one;
    });
    try {
      await opening;
    } catch (error) {
      for (const tp of partitions) this.failedAt.set(sourceId(tp), this.options.now());
      throw error;
    } finally {
      for (const tp of partitions) this.opening.delete(sourceId(tp));
    }
    return Promise.all(perPartition);
  }

  /**
   * `surfaced`: a failure needs no restart of the source — it reaches the source through the batch
   * call itself, or the partition is being let go anyway.
   */
  private enqueue(task: Task<P>, work: () => Promise<void>, surfaced = false): Promise<void> {
    task.queued += 1;
    const run = task.queue.then(work).finally(() => {
      task.queued -= 1;
    });
    task.queue = run.catch(() => undefined);
    return run.catch(async (error: unknown) => {
      // The processor has already folded in what failed to commit: its memory is ahead of the
      // committed state. Drop it; the partition is re-opened from the changelog.
      const id = sourceId(task.tp);
      if (this.tasks.get(id) === task) this.tasks.delete(id);
      if (task.firstUncommittedOffset !== null && this.assignment.has(id)) {
        this.rewindTo.set(id, Math.min(task.firstUncommittedOffset, this.rewindTo.get(id) ?? Infinity));
      }
      this.failedAt.set(id, this.options.now());
      await task.writer.close().catch(() => undefined);
      if (!surfaced) this.failure ??= error;
      this.options.onError?.(error, task.tp);
      throw error;
    });
  }

  private async commit(task: Task<P>): Promise<void> {
    task.pendingSinceMs = null;
    clearTimeout(task.flushTimer);
    task.flushTimer = undefined;
    const drained = task.processor.drain();
    const offset = task.processor.nextOffset;
    const moved = offset !== task.committedOffset;
    if (isEmptyDrain(drained) && !moved) return;
    await task.writer.commit({ ...drained, nextOffset: moved ? offset : null });
    task.committedOffset = offset;
    task.firstUncommittedOffset = null;
    this.transactionsCommitted += 1;
  }

  /** Closes the writers; the processors stay readable for a final summary. */
  private async closeAll(): Promise<void> {
    const tasks = [...this.tasks.values()];
    this.assignment.clear();
    await Promise.all(
      tasks.map(async (task) => {
        await this.enqueue(task, () => this.commit(task), true).catch(() => undefined);
        await task.writer.close().catch(() => undefined);
      }),
    );
  }
}
