import type { OutputRecord, SourceRecord, StateEntry } from './records.js';

/**
 * The state machine of one input partition, as the runner drives it. No I/O and no clock of its
 * own: the runner feeds records and the time, then drains what to write — output records and the
 * changed state — and writes both in one transaction with the consumed offset.
 */
export interface PartitionProcessor {
  /** The offset after the last record folded into this state; null for a fresh partition. */
  readonly nextOffset: number | null;
  restore(key: string, value: string): void;
  finishRestore(): void;
  process(records: readonly SourceRecord[], nowMs: number): void;
  /**
   * Time passing without input: idle clocks, window firing, expiry. `caughtUp` says whether the
   * partition has nothing waiting in Kafka: only then may quiet be taken for idleness.
   */
  tick(nowMs: number, caughtUp: boolean): void;
  drain(): Drained;
}

export interface Drained {
  outputs: OutputRecord[];
  state: StateEntry[];
}

export function isEmptyDrain(d: Drained): boolean {
  return d.outputs.length === 0 && d.state.length === 0;
}
