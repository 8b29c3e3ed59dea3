import type { RideMetrics } from '../contract/generated/ride_metrics.js';

/**
 * The dashboard's in-memory picture of the metrics streams: the newest revision of every recent
 * window per city and per zone, and what the tiles, charts and map are computed from. Pure: no
 * clocks, no I/O; callers pass "now" where wall-clock time matters (stall detection only), and
 * every time span is measured from a city's newest window so replays and simulated clocks work.
 */

const MINUTE = 60_000;

export interface StateOptions {
  /** How far back (from a city's newest window) city windows are kept: charts and "revenue today". */
  cityRetentionMs: number;
  /** How far back zone windows are kept; only the map's recent span needs them. */
  zoneRetentionMs: number;
  /** Span the rate-like tiles and the map average over. */
  tileSpanMs: number;
  /** No record for this long means the stream has stalled. */
  stallAfterMs: number;
}

export const DEFAULT_STATE_OPTIONS: StateOptions = {
  cityRetentionMs: 26 * 60 * MINUTE,
  zoneRetentionMs: 16 * MINUTE,
  tileSpanMs: 15 * MINUTE,
  stallAfterMs: 90_000,
};

/** One minute of one city, in the compact shape sent to the page's charts. */
export interface CityPoint {
  /** window_start, epoch ms. */
  t: number;
  requested: number;
  completed: number;
  cancelled: number;
  revenue: number;
  avgFare: number | null;
  avgWaitS: number | null;
  avgTripS: number | null;
  driversOnline: number;
  driversOnTrip: number;
  utilisation: number | null;
  surge: number | null;
  revision: number;
}

export interface Tiles {
  city: string;
  currency: string | null;
  /** Newest window the tiles include. */
  windowStart: string;
  windowEnd: string;
  spanMinutes: number;
  /**
   * Little's law over the span: requests/min × mean wait + completions/min × mean trip, i.e. rides
   * waiting for a driver plus rides under way. Null until waits and trip times have been seen.
   */
  ridesInProgress: number | null;
  driversOnline: number;
  driversOnTrip: number;
  utilisation: number | null;
  requestsPerMinute: number;
  completionRate: number | null;
  cancellationRate: number | null;
  /** Weighted by completions, the closest proxy to "rides whose driver arrived" the metrics carry. */
  avgWaitS: number | null;
  avgFare: number | null;
  revenueToday: number;
  /** Local midnight of the newest window's day in the city's time zone. */
  dayStart: string;
  timeZone: string;
}

export type ZoneMetric = 'demand' | 'supply' | 'surge';
export const ZONE_METRICS: readonly ZoneMetric[] = ['demand', 'supply', 'surge'];

export interface ZoneValue {
  zone: string;
  /** Rides requested over the span. */
  demand: number;
  /** Drivers online in the zone's newest window. */
  supply: number;
  /** Mean surge over the span, weighted by completions; null when nothing completed. */
  surge: number | null;
}

export type StreamState = 'waiting' | 'live' | 'stalled';

export interface StreamStatus {
  state: StreamState;
  stalled: boolean;
  /** Wall-clock time the last record arrived. */
  lastRecordAt: string | null;
  /** Newest window_end seen in any city. */
  newestWindowEnd: string | null;
  secondsSinceLastRecord: number | null;
  stallAfterS: number;
  records: number;
}

export type ApplyResult = 'new' | 'revised' | 'stale' | 'expired';

interface CityEntry {
  windows: Map<number, RideMetrics>;
  newest: number;
  currency: string | null;
}

/** What the map needs of a zone window: a city has up to a thousand zones, so keep it small. */
interface ZoneSample {
  start: number;
  revision: number;
  requested: number;
  completed: number;
  driversOnline: number;
  surge: number | null;
}

interface ZoneEntry {
  /** zone → window start → sample */
  zones: Map<string, Map<number, ZoneSample>>;
  newest: number;
}

export interface Dirty {
  /** Window starts changed since the last take, per city. */
  windows: Map<string, Set<number>>;
  zoneCities: Set<string>;
}

export class DashboardState {
  readonly options: StateOptions;
  private readonly cityEntries = new Map<string, CityEntry>();
  private readonly zoneEntries = new Map<string, ZoneEntry>();
  private lastRecordAtMs: number | undefined;
  private newestWindowEndMs: number | undefined;
  private recordCount = 0;
  private dirty: Dirty = { windows: new Map(), zoneCities: new Set() };

  constructor(options: Partial<StateOptions> = {}) {
    this.options = { ...DEFAULT_STATE_OPTIONS, ...options };
  }

  /** Takes one record from either topic; a window's newest revision wins, whatever the arrival order. */
  apply(record: RideMetrics, nowMs: number): ApplyResult {
    this.recordCount += 1;
    this.lastRecordAtMs = nowMs;
    const start = Date.parse(record.window_start);
    const end = Date.parse(record.window_end);
    if (Number.isNaN(start) || Number.isNaN(end)) return 'stale';
    this.newestWindowEndMs = Math.max(this.newestWindowEndMs ?? end, end);
    return record.zone === null ? this.applyCity(record, start) : this.applyZone(record, record.zone, start);
  }

  private applyCity(record: RideMetrics, start: number): ApplyResult {
    let entry = this.cityEntries.get(record.city);
    if (!entry) {
      entry = { windows: new Map(), newest: start, currency: record.currency };
      this.cityEntries.set(record.city, entry);
    }
    if (start < entry.newest - this.options.cityRetentionMs) return 'expired';
    const previous = entry.windows.get(start);
    if (previous && previous.revision >= record.revision) return 'stale';
    entry.windows.set(start, record);
    if (record.currency) entry.currency = record.currency;
    if (start > entry.newest) {
      entry.newest = start;
      pruneBefore(entry.windows, start - this.options.cityRetentionMs);
    }
    let changed = this.dirty.windows.get(record.city);
    if (!changed) this.dirty.windows.set(record.city, (changed = new Set()));
    changed.add(start);
    return previous ? 'revised' : 'new';
  }

  private applyZone(record: RideMetrics, zone: string, start: number): ApplyResult {
    let entry = this.zoneEntries.get(record.city);
    if (!entry) {
      entry = { zones: new Map(), newest: start };
      this.zoneEntries.set(record.city, entry);
    }
    if (start < entry.newest - this.options.zoneRetentionMs) return 'expired';
    let windows = entry.zones.get(zone);
    if (!windows) entry.zones.set(zone, (windows = new Map()));
    const previous = windows.get(start);
    if (previous && previous.revision >= record.revision) return 'stale';
    windows.set(start, {
      start,
      revision: record.revision,
      requested: record.rides_requested,
      completed: record.rides_completed,
      driversOnline: record.drivers_online,
      surge: record.avg_surge,
    });
    if (start > entry.newest) {
      entry.newest = start;
      const cutoff = start - this.options.zoneRetentionMs;
      for (const [cell, perZone] of entry.zones) {
        pruneBefore(perZone, cutoff);
        if (perZone.size === 0) entry.zones.delete(cell);
      }
    }
    this.dirty.zoneCities.add(record.city);
    return previous ? 'revised' : 'new';
  }

  /** What changed since the last call; the server pushes exactly that to the page. */
  takeDirty(): Dirty {
    const dirty = this.dirty;
    this.dirty = { windows: new Map(), zoneCities: new Set() };
    return dirty;
  }

  cities(): string[] {
    return [...new Set([...this.cityEntries.keys(), ...this.zoneEntries.keys()])].sort();
  }

  currency(city: string): string | null {
    return this.cityEntries.get(city)?.currency ?? null;
  }

  /** The city's windows, oldest first, optionally only those starting at or after sinceMs. */
  cityPoints(city: string, sinceMs = -Infinity): CityPoint[] {
    const entry = this.cityEntries.get(city);
    if (!entry) return [];
    return [...entry.windows.entries()]
      .filter(([start]) => start >= sinceMs)
      .sort(([a], [b]) => a - b)
      .map(([, record]) => toPoint(record));
  }

  /** Points for given window starts, for incremental pushes. */
  pointsAt(city: string, starts: Iterable<number>): CityPoint[] {
    const entry = this.cityEntries.get(city);
    if (!entry) return [];
    const points: CityPoint[] = [];
    for (const start of starts) {
      const record = entry.windows.get(start);
      if (record) points.push(toPoint(record));
    }
    return points.sort((a, b) => a.t - b.t);
  }

  newestWindowStart(city: string): number | undefined {
    return this.cityEntries.get(city)?.newest;
  }

  tiles(city: string, timeZone = 'UTC'): Tiles | null {
    const entry = this.cityEntries.get(city);
    const newest = entry?.windows.get(entry.newest);
    if (!entry || !newest) return null;
    const span = windowsSince(entry.windows, entry.newest - this.options.tileSpanMs + 1);
    const sum = (pick: (r: RideMetrics) => number): number => span.reduce((acc, r) => acc + pick(r), 0);
    const requested = sum((r) => r.rides_requested);
    const completed = sum((r) => r.rides_completed);
    const cancelled = sum((r) => r.rides_cancelled);
    const revenue = sum((r) => r.revenue);
    const minutes = spanMinutes(span);
    const finished = completed + cancelled;
    const avgWaitS = weightedMean(span, (r) => r.avg_wait_s, (r) => r.rides_completed);
    const avgTripS = weightedMean(span, (r) => r.avg_trip_s, (r) => r.rides_completed);
    const requestsPerMinute = requested / minutes;
    const completionsPerMinute = completed / minutes;
    const ridesInProgress =
      avgWaitS === null || avgTripS === null
        ? null
        : Math.round((requestsPerMinute * avgWaitS + completionsPerMinute * avgTripS) / 60);
    const dayStart = startOfLocalDay(entry.newest, timeZone);
    const revenueToday = windowsSince(entry.windows, dayStart).reduce((acc, r) => acc + r.revenue, 0);
    return {
      city,
      currency: entry.currency,
      windowStart: newest.window_start,
      windowEnd: newest.window_end,
      spanMinutes: minutes,
      ridesInProgress,
      driversOnline: newest.drivers_online,
      driversOnTrip: newest.drivers_on_trip,
      utilisation: newest.utilisation,
      requestsPerMinute: round(requestsPerMinute, 1),
      completionRate: finished === 0 ? null : round(completed / finished, 4),
      cancellationRate: finished === 0 ? null : round(cancelled / finished, 4),
      avgWaitS: avgWaitS === null ? null : round(avgWaitS, 1),
      avgFare: completed === 0 ? null : round(revenue / completed, 2),
      revenueToday: round(revenueToday, 2),
      dayStart: new Date(dayStart).toISOString(),
      timeZone,
    };
  }

  /** Every zone seen in the span ending at the city's newest zone window. */
  zones(city: string): ZoneValue[] {
    const entry = this.zoneEntries.get(city);
    if (!entry) return [];
    const since = entry.newest - this.options.tileSpanMs + 1;
    const values: ZoneValue[] = [];
    for (const [zone, windows] of entry.zones) {
      const span = [...windows.values()].filter((w) => w.start >= since);
      if (span.length === 0) continue;
      const newest = span.reduce((a, b) => (b.start > a.start ? b : a));
      const surge = weightedMean(span, (w) => w.surge, (w) => w.completed);
      values.push({
        zone,
        demand: span.reduce((acc, w) => acc + w.requested, 0),
        supply: newest.driversOnline,
        surge: surge === null ? null : round(surge, 2),
      });
    }
    return values.sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
  }

  status(nowMs: number): StreamStatus {
    const since = this.lastRecordAtMs === undefined ? null : Math.max(0, nowMs - this.lastRecordAtMs);
    const stalled = since !== null && since >= this.options.stallAfterMs;
    return {
      state: since === null ? 'waiting' : stalled ? 'stalled' : 'live',
      stalled,
      lastRecordAt: this.lastRecordAtMs === undefined ? null : new Date(this.lastRecordAtMs).toISOString(),
      newestWindowEnd: this.newestWindowEndMs === undefined ? null : new Date(this.newestWindowEndMs).toISOString(),
      secondsSinceLastRecord: since === null ? null : Math.floor(since / 1000),
      stallAfterS: Math.round(this.options.stallAfterMs / 1000),
      records: this.recordCount,
    };
  }
}

function toPoint(r: RideMetrics): CityPoint {
  return {
    t: Date.parse(r.window_start),
    requested: r.rides_requested,
    completed: r.rides_completed,
    cancelled: r.rides_cancelled,
    revenue: r.revenue,
    avgFare: r.avg_fare,
    avgWaitS: r.avg_wait_s,
    avgTripS: r.avg_trip_s,
    driversOnline: r.drivers_online,
    driversOnTrip: r.drivers_on_trip,
    utilisation: r.utilisation,
    surge: r.avg_surge,
    revision: r.revision,
  };
}

function pruneBefore(windows: Map<number, unknown>, cutoff: number): void {
  for (const start of windows.keys()) if (start < cutoff) windows.delete(start);
}

function windowsSince(windows: Map<number, RideMetrics>, sinceMs: number): RideMetrics[] {
  const out: RideMetrics[] = [];
  for (const [start, record] of windows) if (start >= sinceMs) out.push(record);
  return out;
}

/** Minutes the windows cover; gaps count, so a quiet minute lowers the rate instead of vanishing. */
function spanMinutes(span: RideMetrics[]): number {
  if (span.length === 0) return 1;
  const first = Math.min(...span.map((r) => Date.parse(r.window_start)));
  const last = Math.max(...span.map((r) => Date.parse(r.window_end)));
  return Math.max(1, Math.round((last - first) / MINUTE));
}

function weightedMean<T>(rows: T[], value: (r: T) => number | null, weight: (r: T) => number): number | null {
  let total = 0;
  let weights = 0;
  for (const row of rows) {
    const v = value(row);
    if (v === null) continue;
    // A window with a value but no completions still says something; give it a small weight.
    const w = Math.max(weight(row), 0.001);
    total += v * w;
    weights += w;
  }
  return weights === 0 ? null : total / weights;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Epoch ms of midnight, local to timeZone, of the day containing instantMs. */
export function startOfLocalDay(instantMs: number, timeZone: string): number {
  const offsetAt = (ms: number): number => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(ms));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return asUtc - Math.floor(ms / 1000) * 1000;
  };
  const offset = offsetAt(instantMs);
  const local = new Date(instantMs + offset);
  const midnightLocal = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  // The offset at midnight can differ from now's across a DST change; measure it there.
  return midnightLocal - offsetAt(midnightLocal - offset);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
