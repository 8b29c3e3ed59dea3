/**
 * The event-time clock of one input partition.
 *
 * - `eventClock` is the largest event time seen (monotonic). A window fires once the clock has
 *   passed its end.
 * - `watermark` trails the clock by the allowed lateness. A window whose end is at or before the
 *   watermark is final: its state is dropped and any event for it is late.
 * - Idleness: a partition that receives nothing for `idleTimeoutMs` of wall time lets its clock
 *   run on with wall time (minus the timeout, to leave room for records still in flight). Without
 *   this a quiet partition would keep its last windows open for ever — the classic stall of
 *   event-time pipelines. The advance is kept monotonic, so a record that arrives afterwards
 *   with an older time is judged against the advanced clock (and may be late).
 */
export interface ClockState {
  maxEventTimeMs: number | null;
  eventClockMs: number | null;
  lastArrivalMs: number | null;
}

export class PartitionClock {
  private state: ClockState = { maxEventTimeMs: null, eventClockMs: null, lastArrivalMs: null };

  constructor(
    private readonly allowedLatenessMs: number,
    private readonly idleTimeoutMs: number,
  ) {}

  get eventClockMs(): number | null {
    return this.state.eventClockMs;
  }

  get watermarkMs(): number | null {
    return this.state.eventClockMs === null ? null : this.state.eventClockMs - this.allowedLatenessMs;
  }

  observe(eventTimeMs: number, nowMs: number): void {
    const s = this.state;
    s.lastArrivalMs = nowMs;
    if (s.maxEventTimeMs === null || eventTimeMs > s.maxEventTimeMs) s.maxEventTimeMs = eventTimeMs;
    if (s.eventClockMs === null || eventTimeMs > s.eventClockMs) s.eventClockMs = eventTimeMs;
  }

  /** Moves the clock with wall time when the partition has been quiet; true when it moved. */
  advanceIfIdle(nowMs: number): boolean {
    const s = this.state;
    if (s.maxEventTimeMs !== null && s.lastArrivalMs === null) {
      // Restored: the idle timer starts now, not when the previous process last saw a record.
      s.lastArrivalMs = nowMs;
      return false;
    }
    if (s.maxEventTimeMs === null || s.lastArrivalMs === null || s.eventClockMs === null) return false;
    const quietFor = nowMs - s.lastArrivalMs;
    if (quietFor < this.idleTimeoutMs) return false;
    const advanced = s.maxEventTimeMs + (quietFor - this.idleTimeoutMs);
    if (advanced <= s.eventClockMs) return false;
    s.eventClockMs = advanced;
    return true;
  }

  isIdle(nowMs: number): boolean {
    return this.state.lastArrivalMs !== null && nowMs - this.state.lastArrivalMs >= this.idleTimeoutMs;
  }

  snapshot(): ClockState {
    return { ...this.state };
  }

  /**
   * The downtime before a restart is not quiet input: the records were waiting in Kafka. So the
   * saved arrival time is dropped, or a restart would fast-forward the clock and make the
   * backlog late.
   */
  restore(state: ClockState): void {
    this.state = { ...state, lastArrivalMs: null };
  }
}
