import type { OutRecord } from './records.js';
import { Rng } from './random.js';

/**
 * Deliberate damage for testing what is downstream. Three kinds, each drawn per record and each
 * reported (once, when the record actually goes out) so a test can account for every one:
 * - invalid: an extra, broken copy of a record (its own event_id) — not JSON, failing its schema,
 *   or impossible (negative money or distance, an event_time a year ahead). The original still
 *   goes out, so totals of the clean stream stay exact.
 * - duplicate: the same record, same bytes and event_id, sent again a few records later.
 * - late: the record itself is held back and sent once the stream has moved `lateByMs` of event
 *   time past it (or at the end of the run, whichever comes first).
 */

export type FaultKind = 'invalid' | 'duplicate' | 'late';

export interface FaultEntry {
  kind: FaultKind;
  topic: string;
  key: string;
  event_id: string;
  reason: string;
}

export interface FaultOptions {
  invalidRate: number;
  duplicateRate: number;
  lateRate: number;
  /** How far behind the stream a late record is sent, in event-time ms. */
  lateByMs: number;
  seed: string;
}

export const DEFAULT_LATE_BY_MS = 5 * 60_000;

/** A clean record with what fault injection needs to know about it. */
export interface StreamRecord extends OutRecord {
  timeMs: number;
  eventId: string;
}

interface HeldLate {
  record: StreamRecord;
  dueMs: number;
}

interface HeldDuplicate {
  record: StreamRecord;
  afterRecords: number;
  delay: number;
}

const YEAR_MS = 365 * 86_400_000;

export class FaultInjector {
  private readonly rng: Rng;
  private readonly late: HeldLate[] = [];
  private lateHead = 0;
  private duplicates: HeldDuplicate[] = [];
  private seen = 0;
  private progressMs = -Infinity;
  readonly counts: Record<FaultKind, number> = { invalid: 0, duplicate: 0, late: 0 };

  constructor(private readonly options: FaultOptions, private readonly report: (fault: FaultEntry) => void) {
    const total = options.invalidRate + options.duplicateRate + options.lateRate;
    if (total > 1) throw new Error(`fault rates add up to ${total}; at most 1`);
    this.rng = Rng.derive(options.seed, 'faults');
  }

  get active(): boolean {
    return this.options.invalidRate + this.options.duplicateRate + this.options.lateRate > 0;
  }

  /** Records held back right now (late or awaiting their duplicate). */
  get held(): number {
    return this.late.length - this.lateHead + this.duplicates.length;
  }

  /** Takes the next clean record (in stream order) and appends what should be sent now to `out`. */
  push(record: StreamRecord, out: OutRecord[]): void {
    this.seen++;
    if (record.timeMs > this.progressMs) this.progressMs = record.timeMs;
    this.releaseLate(out, false);
    this.releaseDuplicates(out);

    const { invalidRate, duplicateRate, lateRate } = this.options;
    const u = this.rng.next();
    if (u < invalidRate) {
      out.push(record);
      out.push(this.invalidCopy(record));
    } else if (u < invalidRate + duplicateRate) {
      out.push(record);
      const delay = this.rng.int(1, 50);
      this.duplicates.push({ record, afterRecords: this.seen + delay, delay });
    } else if (u < invalidRate + duplicateRate + lateRate) {
      this.late.push({ record, dueMs: record.timeMs + this.options.lateByMs });
    } else {
      out.push(record);
    }
  }

  /** End of the run: everything still held goes out now. */
  drain(out: OutRecord[]): void {
    this.releaseLate(out, true);
    for (const held of this.duplicates) this.emitDuplicate(held, out);
    this.duplicates = [];
  }

  private releaseLate(out: OutRecord[], all: boolean): void {
    while (this.lateHead < this.late.length) {
      const held = this.late[this.lateHead]!;
      // Held records are due in the order they arrived: lateByMs is constant and times never go back.
      if (!all && held.dueMs > this.progressMs) break;
      this.lateHead++;
      out.push(held.record);
      this.counts.late++;
      const behind = Math.max(0, this.progressMs - held.record.timeMs);
      this.report({
        kind: 'late',
        topic: held.record.topic,
        key: held.record.key,
        event_id: held.record.eventId,
        reason: `held back: sent when the stream was ${behind} ms of event time past it${all ? ' (end of run)' : ''}`,
      });
    }
    if (this.lateHead > 1024 && this.lateHead * 2 > this.late.length) {
      this.late.splice(0, this.lateHead);
      this.lateHead = 0;
    }
  }

  private releaseDuplicates(out: OutRecord[]): void {
    if (this.duplicates.length === 0) return;
    const waiting: HeldDuplicate[] = [];
    for (const held of this.duplicates) {
      if (held.afterRecords <= this.seen) this.emitDuplicate(held, out);
      else waiting.push(held);
    }
    this.duplicates = waiting;
  }

  private emitDuplicate(held: HeldDuplicate, out: OutRecord[]): void {
    out.push(held.record);
    this.counts.duplicate++;
    this.report({
      kind: 'duplicate',
      topic: held.record.topic,
      key: held.record.key,
      event_id: held.record.eventId,
      reason: `same record sent again ${held.delay} records later`,
    });
  }

  private invalidCopy(record: StreamRecord): OutRecord {
    const copy = JSON.parse(record.value) as Record<string, unknown>;
    const eventId = this.rng.uuid();
    copy.event_id = eventId;
    let value: string;
    let json = true;
    let reason: string;
    const variant = this.rng.int(0, 3);
    const negated = variant === 2 ? makeNegative(copy) : undefined;
    if (variant === 0) {
      const full = JSON.stringify(copy);
      // Any proper prefix of a JSON object is not JSON; keep at least the opening brace.
      value = full.slice(0, this.rng.int(1, full.length - 2));
      json = false;
      reason = 'not JSON: truncated record';
    } else if (variant === 1) {
      const broken = this.rng.int(0, 2);
      if (broken === 0) {
        delete copy.city;
        reason = 'fails its schema: required field city missing';
      } else if (broken === 1) {
        copy.schema_version = String(copy.schema_version);
        reason = 'fails its schema: schema_version is a string';
      } else {
        copy.event_type = 'ride_teleported';
        reason = 'fails its schema: unknown event_type ride_teleported';
      }
      value = JSON.stringify(copy);
    } else if (negated !== undefined) {
      reason = `impossible: negative ${negated}`;
      value = JSON.stringify(copy);
    } else {
      const time = Date.parse(String(copy.event_time));
      copy.event_time = new Date(time + YEAR_MS).toISOString();
      reason = 'impossible: event_time 365 days in the future';
      value = JSON.stringify(copy);
    }
    this.counts.invalid++;
    this.report({ kind: 'invalid', topic: record.topic, key: record.key, event_id: eventId, reason });
    return { topic: record.topic, key: record.key, value, json };
  }
}

/** Makes a money, distance or speed field negative, if the event has one; returns its name. */
function makeNegative(event: Record<string, unknown>): string | undefined {
  const fare = event.fare as Record<string, unknown> | undefined;
  if (fare && typeof fare.total === 'number') {
    fare.total = -Math.abs(fare.total) || -0.01;
    return 'fare.total';
  }
  for (const field of ['distance_km', 'speed_kmh', 'eta_s']) {
    const value = event[field];
    if (typeof value === 'number') {
      event[field] = -Math.abs(value) || -1;
      return field;
    }
  }
  return undefined;
}
