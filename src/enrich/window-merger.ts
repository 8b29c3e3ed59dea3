import { emptyAggregate, mergeInto, type WindowAggregate } from './windows.js';
import { METRICS_SCHEMA_VERSION, toRideMetrics } from './metrics.js';
import type { RideMetrics } from '../contract/generated/ride_metrics.js';
import { hash53, type MergerInput, type PartialRecord } from './partials.js';
import type { Drained, PartitionProcessor } from './processor.js';
import type { OutputRecord, SourceRecord, StateEntry, TopicPartition } from './records.js';
import { sourceId } from './records.js';
import type { EnrichSettings } from './settings.js';

/**
 * The second stage: merges the partial windows that each input partition sent for a city's window
 * into the records of ride_metrics_1m (per city) and ride_metrics_zone_1m (per zone).
 *
 * Firing: a window is first written once every live source has reported progress past its end
 * (the minimum over sources, as Flink takes the minimum watermark over input channels). A source
 * that has sent nothing — not even a progress heartbeat — for the idle timeout is not waited for,
 * so a stopped partition cannot hold every city's metrics back; if it comes back, its partial
 * corrects the window. After firing, every changed partial re-emits the window under the same key
 * with revision + 1; only records whose content changed are re-emitted.
 * Purging: a window is dropped once every expected source (each partition of ride_events and
 * vehicle_events) has declared it final. A source silent for the source timeout (wall time),
 * or never heard of for that long since the merger started, no longer holds windows back.
 */
interface SourceProgress {
  firedThroughMs: number;
  finalThroughMs: number;
  lastSeenMs: number;
}

interface EmittedRecord {
  revision: number;
  digest: number;
}

interface MergedWindow {
  city: string;
  startMs: number;
  partials: Map<string, PartialRecord>;
  /** Emission state of the city record ('*') and of each zone record. */
  emitted: Map<string, EmittedRecord>;
  changed: boolean;
}

export interface MergerStats {
  windowsEmitted: number;
  corrections: number;
  /** Partials that arrived after their window was purged: logged, not merged. */
  partialsTooLate: number;
}

export class WindowMergeProcessor implements PartitionProcessor {
  readonly source: string;
  private nextOffsetValue: number | null = null;
  private purgedThroughMs: number | null = null;
  private readonly sources = new Map<string, SourceProgress>();
  private readonly windows = new Map<string, MergedWindow>();
  readonly stats: MergerStats = { windowsEmitted: 0, corrections: 0, partialsTooLate: 0 };

  private outputs: OutputRecord[] = [];
  private readonly dirtyWindows = new Set<string>();
  private readonly dirtyPartials = new Set<string>();
  private dirtySources = false;
  private metaDirty = false;
  private startedAtMs: number | undefined;

  constructor(
    tp: TopicPartition,
    private readonly settings: EnrichSettings,
    /** Every input partition that sends partials: the merger must not finalise a window without hearing from each. */
    private readonly expectedSources: readonly string[],
  ) {
    this.source = sourceId(tp);
  }

  get nextOffset(): number | null {
    return this.nextOffsetValue;
  }

  get openWindows(): number {
    return this.windows.size;
  }

  process(records: readonly SourceRecord[], nowMs: number): void {
    this.startedAtMs ??= nowMs;
    for (const record of records) {
      if (this.nextOffsetValue !== null && record.offset < this.nextOffsetValue) continue;
      this.nextOffsetValue = record.offset + 1;
      this.metaDirty = true;
      if (record.value === null) continue;
      const input = JSON.parse(record.value.toString('utf8')) as MergerInput;
      if (input.type === 'progress') this.noteProgress(input.source, input.firedThroughMs, input.finalThroughMs, nowMs);
      else this.notePartial(input, nowMs);
    }
    this.flush(nowMs);
  }

  tick(nowMs: number, _caughtUp: boolean): void {
    this.startedAtMs ??= nowMs;
    this.flush(nowMs);
  }

  private noteProgress(source: string, firedThroughMs: number, finalThroughMs: number, nowMs: number): void {
    const known = this.sources.get(source);
    this.sources.set(source, {
      firedThroughMs: Math.max(known?.firedThroughMs ?? firedThroughMs, firedThroughMs),
      finalThroughMs: Math.max(known?.finalThroughMs ?? finalThroughMs, finalThroughMs),
      lastSeenMs: nowMs,
    });
    this.dirtySources = true;
  }

  private notePartial(partial: PartialRecord, nowMs: number): void {
    const known = this.sources.get(partial.source);
    if (known) {
      known.lastSeenMs = nowMs;
      this.dirtySources = true;
    }
    if (this.purgedThroughMs !== null && partial.windowStartMs + this.settings.windowMs <= this.purgedThroughMs) {
      this.stats.partialsTooLate += 1;
      return;
    }
    const key = windowKey(partial.city, partial.windowStartMs);
    let win = this.windows.get(key);
    if (!win) {
      win = { city: partial.city, startMs: partial.windowStartMs, partials: new Map(), emitted: new Map(), changed: false };
      this.windows.set(key, win);
    }
    win.partials.set(partial.source, partial);
    win.changed = true;
    this.dirtyWindows.add(key);
    this.dirtyPartials.add(`${key}|${partial.source}`);
  }

  private flush(nowMs: number): void {
    const { windowMs, idleTimeoutMs, sourceTimeoutMs } = this.settings;
    const startedAtMs = this.startedAtMs ?? nowMs;
    // Right after a (re)start every source gets the idle timeout to speak up before it is skipped.
    const warmingUp = nowMs - startedAtMs < idleTimeoutMs;
    let firedThrough = Infinity;
    let finalThrough = Infinity;
    let firing = 0;
    let finalising = 0;
    for (const name of new Set([...this.expectedSources, ...this.sources.keys()])) {
      const progress = this.sources.get(name);
      // Wall time, not event time: a partition catching up on a backlog races through event time.
      const silentForMs = nowMs - Math.max(progress?.lastSeenMs ?? startedAtMs, startedAtMs);
      if (!progress) {
        // Not heard of yet (still restoring? an empty partition?): blocks firing while we warm
        // up, and purging until the source timeout.
        if (warmingUp) firedThrough = -Infinity;
        if (silentForMs < sourceTimeoutMs) finalThrough = -Infinity;
        continue;
      }
      if (warmingUp || silentForMs < idleTimeoutMs) {
        firedThrough = Math.min(firedThrough, progress.firedThroughMs);
        firing += 1;
      }
      if (silentForMs < sourceTimeoutMs) {
        finalThrough = Math.min(finalThrough, progress.finalThroughMs);
        finalising += 1;
      }
    }
    if (firing === 0) firedThrough = -Infinity;
    // With nobody vouching (the first stage down?), keep everything: its partials will come.
    if (finalising === 0) finalThrough = -Infinity;

    for (const win of [...this.windows.values()].sort((a, b) => a.startMs - b.startMs)) {
      const endMs = win.startMs + windowMs;
      if (endMs <= firedThrough && win.changed) this.emit(win);
      if (endMs <= finalThrough) {
        if (win.changed) this.emit(win);
        this.dropWindow(win);
      }
    }
    if (Number.isFinite(finalThrough) && (this.purgedThroughMs === null || finalThrough > this.purgedThroughMs)) {
      this.purgedThroughMs = finalThrough;
      this.metaDirty = true;
    }
  }

  private emit(win: MergedWindow): void {
    const { windowMs, topics } = this.settings;
    const total = emptyAggregate();
    const zones = new Map<string, WindowAggregate>();
    for (const partial of win.partials.values()) {
      mergeInto(total, partial.total);
      for (const [zone, aggregate] of Object.entries(partial.zones)) {
        let merged = zones.get(zone);
        if (!merged) {
          merged = emptyAggregate();
          zones.set(zone, merged);
        }
        mergeInto(merged, aggregate);
      }
    }
    // A zone emitted before but absent now (its only driver moved away) is corrected to zero.
    for (const zone of win.emitted.keys()) if (zone !== '*' && !zones.has(zone)) zones.set(zone, emptyAggregate());
    const id = { city: win.city, startMs: win.startMs, endMs: win.startMs + windowMs };
    const isCorrection = win.emitted.has('*');
    this.emitRecord(win, '*', topics.metricsCity, `${win.city}|${iso(win.startMs)}`, id, null, total);
    for (const [zone, aggregate] of zones) {
      this.emitRecord(win, zone, topics.metricsZone, `${win.city}|${zone}|${iso(win.startMs)}`, id, zone, aggregate);
    }
    if (isCorrection) this.stats.corrections += 1;
    else this.stats.windowsEmitted += 1;
    win.changed = false;
    this.dirtyWindows.add(windowKey(win.city, win.startMs));
  }

  private emitRecord(
    win: MergedWindow,
    slot: string,
    topic: string,
    key: string,
    id: { city: string; startMs: number; endMs: number },
    zone: string | null,
    aggregate: WindowAggregate,
  ): void {
    const previous = win.emitted.get(slot);
    const unrevised = toRideMetrics({ ...id, zone }, aggregate, 0);
    const json = JSON.stringify(unrevised);
    const digest = hash53(json);
    if (previous && previous.digest === digest) return;
    const revision = previous ? previous.revision + 1 : 0;
    win.emitted.set(slot, { revision, digest });
    this.outputs.push({ topic, key, value: withRevision(json, unrevised, revision) });
  }

  private dropWindow(win: MergedWindow): void {
    const key = windowKey(win.city, win.startMs);
    this.windows.delete(key);
    this.dirtyWindows.add(key);
    for (const source of win.partials.keys()) this.dirtyPartials.add(`${key}|${source}`);
  }

  drain(): Drained {
    const outputs = this.outputs;
    this.outputs = [];
    const state: StateEntry[] = [];
    if (this.metaDirty) {
      state.push({ key: 'meta', value: JSON.stringify({ nextOffset: this.nextOffsetValue, purgedThroughMs: this.purgedThroughMs }) });
      this.metaDirty = false;
    }
    if (this.dirtySources) {
      state.push({ key: 'sources', value: JSON.stringify(Object.fromEntries(this.sources)) });
      this.dirtySources = false;
    }
    for (const key of this.dirtyWindows) {
      const win = this.windows.get(key);
      state.push({
        key: `mwin|${key}`,
        value: win ? JSON.stringify({ city: win.city, startMs: win.startMs, changed: win.changed, emitted: Object.fromEntries(win.emitted) }) : null,
      });
    }
    for (const key of this.dirtyPartials) {
      const lastBar = key.lastIndexOf('|');
      const partial = this.windows.get(key.slice(0, lastBar))?.partials.get(key.slice(lastBar + 1));
      state.push({ key: `mpart|${key}`, value: partial ? JSON.stringify(partial) : null });
    }
    this.dirtyWindows.clear();
    this.dirtyPartials.clear();
    return { outputs, state };
  }

  restore(key: string, value: string): void {
    if (key === 'meta') {
      const meta = JSON.parse(value) as { nextOffset: number | null; purgedThroughMs: number | null };
      this.nextOffsetValue = meta.nextOffset;
      this.purgedThroughMs = meta.purgedThroughMs;
    } else if (key === 'sources') {
      for (const [source, progress] of Object.entries(JSON.parse(value) as Record<string, SourceProgress>)) this.sources.set(source, progress);
    } else if (key.startsWith('mwin|')) {
      const saved = JSON.parse(value) as { city: string; startMs: number; changed: boolean; emitted: Record<string, EmittedRecord> };
      const win = this.windowFor(saved.city, saved.startMs);
      win.changed = saved.changed;
      win.emitted = new Map(Object.entries(saved.emitted));
    } else if (key.startsWith('mpart|')) {
      const partial = JSON.parse(value) as PartialRecord;
      this.windowFor(partial.city, partial.windowStartMs).partials.set(partial.source, partial);
    } else {
      throw new Error(`unknown state entry ${key} for ${this.source}`);
    }
  }

  finishRestore(): void {}

  private windowFor(city: string, startMs: number): MergedWindow {
    const key = windowKey(city, startMs);
    let win = this.windows.get(key);
    if (!win) {
      win = { city, startMs, partials: new Map(), emitted: new Map(), changed: false };
      this.windows.set(key, win);
    }
    return win;
  }
}

/**
 * The record's JSON with its revision set: the digest's JSON already is the record at revision 0,
 * and `revision` comes just before the last field, so only the end differs. Byte for byte what
 * JSON.stringify({ ...unrevised, revision }) writes; anything unexpected takes that way.
 */
const UNREVISED_END = `,"revision":0,"schema_version":${METRICS_SCHEMA_VERSION}}`;

export function withRevision(json: string, unrevised: RideMetrics, revision: number): string {
  if (revision === 0) return json;
  if (!json.endsWith(UNREVISED_END)) return JSON.stringify({ ...unrevised, revision });
  return `${json.slice(0, -UNREVISED_END.length)},"revision":${revision},"schema_version":${METRICS_SCHEMA_VERSION}}`;
}

function windowKey(city: string, startMs: number): string {
  return `${city}|${startMs}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
