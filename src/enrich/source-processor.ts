import type { RideEvent } from '../contract/generated/ride_events.js';
import type { VehicleEvent } from '../contract/generated/vehicle_events.js';
import type { VehicleStatus } from '../contract/generated/common.js';
import { cleanRecord, type SourceKind } from './cleaning.js';
import { RecentEventIds, type DedupeChunk } from './dedupe.js';
import { ChunkLog } from './chunk-log.js';
import { applyRideEvent, type OpenRide } from './lifecycle.js';
import { enrichRide } from './enrichment.js';
import { zeroCounters, type Counters } from './accounting.js';
import { PartitionClock, type ClockState } from './watermark.js';
import {
  addToCityWindow, emptyAggregate, emptyCityWindow, isLate, passedThrough, sparseAggregate, windowStart,
  type CityWindow, type Contribution, type SparseAggregate, type WindowAggregate,
} from './windows.js';
import { partialKey, partialsPartition, type PartialRecord, type ProgressRecord } from './partials.js';
import type { Drained, PartitionProcessor } from './processor.js';
import type { OutputRecord, SourceRecord, StateEntry, TopicPartition } from './records.js';
import { sourceId } from './records.js';
import type { EnrichSettings } from './settings.js';
import type { TimeZoneLookup } from './time-zones.js';
import type { ZoneOf } from './zones.js';

/**
 * Everything `enrich` does for one input partition of ride_events, vehicle_events or user_events:
 * clean → late check → dedupe → (rides) lifecycle join and enriched record / (vehicles) status
 * track → per-partition window partials → progress marks for the merger.
 *
 * Order of the checks, and why: a record that cannot be read or is impossible goes to the DLQ
 * first (it has no trustworthy time or id); then lateness, judged on the event's window, before the
 * duplicate check — so the dedupe set only ever needs ids of windows still open; then duplicates;
 * then the ride join, whose refusals go to the DLQ too. Refused events never move the clock: only
 * accepted event times are trusted.
 */
export interface SourceProcessorDeps {
  settings: EnrichSettings;
  zoneOf: ZoneOf;
  timeZoneOf: TimeZoneLookup;
  partialsPartitions: number;
}

interface VehicleStatusAt {
  t: number;
  status: VehicleStatus;
  zone: string;
}

interface VehicleTrack {
  vehicleId: string;
  city: string;
  /** Status changes and pings in event-time order, back to the latest one before the final windows. */
  history: VehicleStatusAt[];
  /**
   * The zone of the last location looked up for this vehicle (not state: never written). A
   * vehicle standing still pings the same point again, and its zone costs an H3 lookup each time.
   */
  lastPoint?: { lat: number; lon: number; zone: string };
}

interface WindowState {
  startMs: number;
  fired: boolean;
  seq: number;
  /** Ride partitions: what the window's events added, per city. Vehicle partitions derive counts at firing. */
  cities: Map<string, CityWindow>;
  /** Cities changed since the window last fired (ride partitions). */
  changedCities: Set<string>;
  /** Cities a partial was sent for, so a correction can send a zero for a city that emptied (vehicle partitions). */
  sentCities: Set<string>;
  /** A late vehicle event changed the driver counts at this window's end. */
  refire: boolean;
}

interface MetaState {
  nextOffset: number | null;
  clock: ClockState;
  counters: Counters;
  vehicleFiredThroughMs: number | null;
  finalThroughMs: number | null;
}

/** A vehicle partition that was quiet for hours fires at most this many windows when it catches up. */
const MAX_CATCH_UP_WINDOWS = 120;
const MAX_HEADER_LENGTH = 2_000;
/** A vehicle chunk is cut at about this many characters (ASCII: bytes), well below a broker batch. */
const MAX_VEHICLE_CHUNK_CHARS = 256 * 1024;

export class SourcePartitionProcessor implements PartitionProcessor {
  readonly source: string;
  private readonly kind: SourceKind;
  private readonly clock: PartitionClock;
  private readonly dedupe: RecentEventIds;
  private readonly rides = new Map<string, OpenRide>();
  private readonly vehicles = new Map<string, VehicleTrack>();
  /** Vehicles go to the changelog in chunks (see ChunkLog): which chunk holds which vehicle. */
  private readonly vehicleLog = new ChunkLog();
  private restoredVehicleChunks: { seq: number; value: string }[] = [];
  /** Per-vehicle changelog keys of an older version, deleted (and re-written as chunks) on the next commit. */
  private legacyVehicleKeys: string[] = [];
  private readonly windows = new Map<number, WindowState>();
  private meta: MetaState;
  private lastProgress: { fired: number; final: number; sentAtMs: number } | undefined;

  private outputs: OutputRecord[] = [];
  private readonly dirtyRides = new Set<string>();
  private readonly dirtyVehicles = new Set<string>();
  private readonly dirtyWindows = new Set<number>();
  private readonly dirtyAggregates = new Set<string>();
  private sealedChunks: DedupeChunk[] = [];
  private droppedChunks: string[] = [];
  private metaDirty = false;

  constructor(
    private readonly tp: TopicPartition,
    private readonly deps: SourceProcessorDeps,
  ) {
    const { settings } = deps;
    this.source = sourceId(tp);
    const topics = settings.topics;
    this.kind = tp.topic === topics.rides ? 'ride' : tp.topic === topics.vehicles ? 'vehicle' : 'user';
    this.clock = new PartitionClock(settings.allowedLatenessMs, settings.idleTimeoutMs);
    this.dedupe = new RecentEventIds(settings.dedupeCapacity);
    this.meta = { nextOffset: null, clock: this.clock.snapshot(), counters: zeroCounters(), vehicleFiredThroughMs: null, finalThroughMs: null };
  }

  get nextOffset(): number | null {
    return this.meta.nextOffset;
  }

  get counters(): Counters {
    return this.meta.counters;
  }

  get openRides(): number {
    return this.rides.size;
  }

  get eventClockMs(): number | null {
    return this.clock.eventClockMs;
  }

  get watermarkMs(): number | null {
    return this.clock.watermarkMs;
  }

  get rememberedEventIds(): number {
    return this.dedupe.size;
  }

  // ─── input ────────────────────────────────────────────────────────────────────────────────

  process(records: readonly SourceRecord[], nowMs: number): void {
    let firstOffset: number | undefined;
    for (const record of records) {
      if (this.meta.nextOffset !== null && record.offset < this.meta.nextOffset) continue;
      firstOffset ??= record.offset;
      this.meta.nextOffset = record.offset + 1;
      this.metaDirty = true;
      this.processOne(record, nowMs);
    }
    if (firstOffset !== undefined) {
      const chunk = this.dedupe.seal(String(firstOffset));
      if (chunk) this.sealedChunks.push(chunk);
    }
    this.flush(nowMs);
  }

  tick(nowMs: number, caughtUp: boolean): void {
    // A partition with records waiting (a backlog, or starved by busier partitions) is not quiet.
    if (caughtUp && this.clock.advanceIfIdle(nowMs)) this.metaDirty = true;
    this.flush(nowMs);
  }

  private processOne(record: SourceRecord, nowMs: number): void {
    const counters = this.meta.counters;
    counters.consumed += 1;
    const cleaned = cleanRecord(this.kind, record.key, record.value, nowMs, this.deps.settings);
    if (!cleaned.ok) {
      this.toDlq(record, cleaned.reason);
      return;
    }
    const { eventTimeMs } = cleaned.value;
    const windowMs = this.deps.settings.windowMs;
    if (isLate(eventTimeMs, this.clock.watermarkMs, windowMs)) {
      counters.late += 1;
      this.outputs.push({
        topic: this.deps.settings.topics.late,
        key: record.key,
        value: record.value,
        headers: {
          ...sourceHeaders('late', record),
          'late.event_time': new Date(eventTimeMs).toISOString(),
          'late.watermark': new Date(this.clock.watermarkMs ?? 0).toISOString(),
        },
      });
      return;
    }
    // From here on the event is readable and on time: its id is remembered even if the join
    // refuses it, so a re-sent copy counts as the duplicate it is.
    if (!this.dedupe.rememberIfNew(cleaned.value.event.event_id, eventTimeMs)) {
      counters.duplicates += 1;
      return;
    }
    if (cleaned.value.kind === 'ride') {
      const refusal = this.joinRide(cleaned.value.event, eventTimeMs);
      if (refusal) {
        this.toDlq(record, refusal);
        return;
      }
    } else if (cleaned.value.kind === 'vehicle') {
      this.trackVehicle(cleaned.value.event, eventTimeMs);
      counters.enriched += 1;
    } else {
      counters.enriched += 1;
    }
    if (this.kind === 'vehicle' && this.meta.vehicleFiredThroughMs === null) {
      // Nothing happened on this partition before its first event: no windows to report before it.
      this.meta.vehicleFiredThroughMs = windowStart(eventTimeMs, windowMs);
    }
    this.clock.observe(eventTimeMs, nowMs);
  }

  /** Returns why the event cannot join its ride, or undefined when it did. */
  private joinRide(event: RideEvent, eventTimeMs: number): string | undefined {
    const counters = this.meta.counters;
    const step = applyRideEvent(this.rides.get(event.ride_id), event, eventTimeMs, this.deps.zoneOf);
    if (step.kind === 'rejected') return step.reason;
    this.dirtyRides.add(event.ride_id);
    if (step.kind === 'finished') {
      this.rides.delete(event.ride_id);
      counters.open -= step.ride.eventCount - 1;
      counters.enriched += step.ride.eventCount;
      const enriched = enrichRide(step.ride, this.deps.timeZoneOf(step.ride.city));
      this.outputs.push({ topic: this.deps.settings.topics.enriched, key: enriched.ride_id, value: JSON.stringify(enriched) });
    } else {
      this.rides.set(event.ride_id, step.ride);
      counters.open += 1;
    }
    if (step.contribution) this.addToWindow(eventTimeMs, step.ride.city, step.ride.pickupZone, step.contribution);
    return undefined;
  }

  private addToWindow(eventTimeMs: number, city: string, zone: string, contribution: Contribution): void {
    const win = this.windowAt(windowStart(eventTimeMs, this.deps.settings.windowMs));
    let cell = win.cities.get(city);
    if (!cell) {
      cell = emptyCityWindow();
      win.cities.set(city, cell);
    }
    addToCityWindow(cell, zone, contribution);
    win.changedCities.add(city);
    this.dirtyAggregates.add(aggregateKey(win.startMs, city, '*'));
    this.dirtyAggregates.add(aggregateKey(win.startMs, city, zone));
  }

  private windowAt(startMs: number): WindowState {
    let win = this.windows.get(startMs);
    if (!win) {
      win = { startMs, fired: false, seq: 0, cities: new Map(), changedCities: new Set(), sentCities: new Set(), refire: false };
      this.windows.set(startMs, win);
      this.dirtyWindows.add(startMs);
    }
    return win;
  }

  private trackVehicle(event: VehicleEvent, eventTimeMs: number): void {
    let track = this.vehicles.get(event.vehicle_id);
    if (!track) {
      track = { vehicleId: event.vehicle_id, city: event.city, history: [] };
      this.vehicles.set(event.vehicle_id, track);
    }
    const { lat, lon } = event.location;
    let zone: string;
    if (track.lastPoint && track.lastPoint.lat === lat && track.lastPoint.lon === lon) {
      zone = track.lastPoint.zone;
    } else {
      zone = this.deps.zoneOf(event.location);
      track.lastPoint = { lat, lon, zone };
    }
    const history = track.history;
    let at = history.length;
    while (at > 0 && (history[at - 1]?.t ?? 0) > eventTimeMs) at -= 1;
    const before = history[at - 1];
    // Most pings repeat the status and zone of the event before them: they change no count at
    // any window end, so they change no state (and cost no changelog write).
    if (before && before.status === event.status && before.zone === zone && track.city === event.city) return;
    track.city = event.city;
    history.splice(at, 0, { t: eventTimeMs, status: event.status, zone });
    this.dirtyVehicles.add(track.vehicleId);
    // An event older than windows already sent changes the driver counts at their ends.
    const firedThrough = this.meta.vehicleFiredThroughMs;
    if (firedThrough !== null && eventTimeMs <= firedThrough) {
      for (const win of this.windows.values()) {
        const end = win.startMs + this.deps.settings.windowMs;
        if (win.fired && end >= eventTimeMs && end <= firedThrough) win.refire = true;
      }
    }
  }

  private toDlq(record: SourceRecord, reason: string): void {
    this.meta.counters.dlq += 1;
    this.outputs.push({
      topic: this.deps.settings.topics.dlq,
      key: record.key,
      value: record.value,
      headers: { 'dlq.reason': reason.slice(0, MAX_HEADER_LENGTH), ...sourceHeaders('dlq', record) },
    });
  }

  // ─── time ─────────────────────────────────────────────────────────────────────────────────

  private flush(nowMs: number): void {
    const clockMs = this.clock.eventClockMs;
    const watermarkMs = this.clock.watermarkMs;
    // No event yet, no progress to report: the merger cannot tell "empty" from "not read yet".
    if (clockMs === null || watermarkMs === null) return;
    const { windowMs } = this.deps.settings;
    const firedThrough = passedThrough(clockMs, windowMs);
    const finalThrough = passedThrough(watermarkMs, windowMs);

    if (this.kind === 'ride') this.fireRideWindows(firedThrough);
    if (this.kind === 'vehicle') this.fireVehicleWindows(firedThrough);
    for (const win of [...this.windows.values()]) {
      if (win.startMs + windowMs <= finalThrough) this.dropWindow(win);
    }

    if (this.meta.finalThroughMs === null || finalThrough > this.meta.finalThroughMs) {
      this.meta.finalThroughMs = finalThrough;
      this.metaDirty = true;
      this.droppedChunks.push(...this.dedupe.forgetBefore(finalThrough));
      if (this.kind === 'ride') this.expireRides(watermarkMs);
      if (this.kind === 'vehicle') this.pruneVehicles(finalThrough);
    }
    if (this.kind !== 'user') this.reportProgress(firedThrough, finalThrough, nowMs);
  }

  private fireRideWindows(firedThrough: number): void {
    const windowMs = this.deps.settings.windowMs;
    for (const win of [...this.windows.values()].sort((a, b) => a.startMs - b.startMs)) {
      if (win.startMs + windowMs > firedThrough) continue;
      if (!win.fired) {
        win.fired = true;
        this.sendPartials(win, win.cities.keys(), (city) => win.cities.get(city));
      } else if (win.changedCities.size > 0) {
        win.seq += 1;
        this.sendPartials(win, win.changedCities, (city) => win.cities.get(city));
      } else {
        continue;
      }
      win.changedCities.clear();
      this.dirtyWindows.add(win.startMs);
    }
  }

  private fireVehicleWindows(firedThrough: number): void {
    const windowMs = this.deps.settings.windowMs;
    const from = this.meta.vehicleFiredThroughMs;
    if (from === null) return;
    for (let end = Math.max(from + windowMs, firedThrough - (MAX_CATCH_UP_WINDOWS - 1) * windowMs); end <= firedThrough; end += windowMs) {
      const win = this.windowAt(end - windowMs);
      win.fired = true;
      win.refire = false;
      const counts = this.driverCountsAt(end);
      this.sendPartials(win, counts.keys(), (city) => counts.get(city));
      for (const city of counts.keys()) win.sentCities.add(city);
      this.dirtyWindows.add(win.startMs);
    }
    if (firedThrough > from) {
      this.meta.vehicleFiredThroughMs = firedThrough;
      this.metaDirty = true;
    }
    for (const win of this.windows.values()) {
      if (!win.refire) continue;
      win.refire = false;
      win.seq += 1;
      const counts = this.driverCountsAt(win.startMs + windowMs);
      const cities = new Set([...win.sentCities, ...counts.keys()]);
      this.sendPartials(win, cities, (city) => counts.get(city) ?? emptyCityWindow());
      for (const city of counts.keys()) win.sentCities.add(city);
      this.dirtyWindows.add(win.startMs);
    }
  }

  /** Vehicles not offline at `endMs`, by the latest event at or before it, per city and zone. */
  private driverCountsAt(endMs: number): Map<string, CityWindow> {
    const byCity = new Map<string, CityWindow>();
    for (const track of this.vehicles.values()) {
      const latest = latestAtOrBefore(track.history, endMs);
      if (!latest || latest.status === 'offline') continue;
      let cell = byCity.get(track.city);
      if (!cell) {
        cell = emptyCityWindow();
        byCity.set(track.city, cell);
      }
      const onTrip = latest.status === 'on_trip' ? 1 : 0;
      cell.total.driversOnline += 1;
      cell.total.driversOnTrip += onTrip;
      let zone = cell.zones.get(latest.zone);
      if (!zone) {
        zone = emptyAggregate();
        cell.zones.set(latest.zone, zone);
      }
      zone.driversOnline += 1;
      zone.driversOnTrip += onTrip;
    }
    return byCity;
  }

  private sendPartials(win: WindowState, cities: Iterable<string>, cellOf: (city: string) => CityWindow | undefined): void {
    const { topics } = this.deps.settings;
    for (const city of cities) {
      const cell = cellOf(city);
      if (!cell) continue;
      const partial: PartialRecord = {
        type: 'partial',
        source: this.source,
        city,
        windowStartMs: win.startMs,
        seq: win.seq,
        total: sparseAggregate(cell.total),
        zones: sparseZones(cell.zones),
      };
      this.outputs.push({
        topic: topics.partials,
        key: partialKey(partial),
        value: JSON.stringify(partial),
        partition: partialsPartition(city, win.startMs, this.deps.partialsPartitions),
      });
    }
  }

  private reportProgress(firedThroughMs: number, finalThroughMs: number, nowMs: number): void {
    const last = this.lastProgress;
    const heartbeatMs = Math.max(1_000, this.deps.settings.idleTimeoutMs / 3);
    if (last && last.fired === firedThroughMs && last.final === finalThroughMs && nowMs - last.sentAtMs < heartbeatMs) return;
    this.lastProgress = { fired: firedThroughMs, final: finalThroughMs, sentAtMs: nowMs };
    const progress: ProgressRecord = { type: 'progress', source: this.source, firedThroughMs, finalThroughMs };
    const value = JSON.stringify(progress);
    for (let partition = 0; partition < this.deps.partialsPartitions; partition++) {
      this.outputs.push({ topic: this.deps.settings.topics.partials, key: `progress|${this.source}`, value, partition });
    }
  }

  private dropWindow(win: WindowState): void {
    this.windows.delete(win.startMs);
    this.dirtyWindows.add(win.startMs);
    for (const [city, cell] of win.cities) {
      this.dirtyAggregates.add(aggregateKey(win.startMs, city, '*'));
      for (const zone of cell.zones.keys()) this.dirtyAggregates.add(aggregateKey(win.startMs, city, zone));
    }
  }

  /** Rides silent for the ride timeout behind the watermark will not end: stop holding them. */
  private expireRides(watermarkMs: number): void {
    const cutoff = watermarkMs - this.deps.settings.rideTimeoutMs;
    const counters = this.meta.counters;
    for (const ride of this.rides.values()) {
      if (ride.lastEventMs >= cutoff) continue;
      this.rides.delete(ride.rideId);
      this.dirtyRides.add(ride.rideId);
      counters.open -= ride.eventCount;
      counters.expired += ride.eventCount;
    }
  }

  /** Keeps of each vehicle only what a window still open can ask for; forgets vehicles long offline. */
  private pruneVehicles(finalThroughMs: number): void {
    for (const track of this.vehicles.values()) {
      const history = track.history;
      let keepFrom = 0;
      for (let i = 0; i < history.length; i++) if ((history[i]?.t ?? 0) <= finalThroughMs) keepFrom = i;
      const last = history[history.length - 1];
      if (last && last.status === 'offline' && last.t <= finalThroughMs) {
        this.vehicles.delete(track.vehicleId);
        this.dirtyVehicles.add(track.vehicleId);
      } else if (keepFrom > 0) {
        track.history = history.slice(keepFrom);
        this.dirtyVehicles.add(track.vehicleId);
      }
    }
  }

  // ─── state ────────────────────────────────────────────────────────────────────────────────

  drain(): Drained {
    const outputs = this.outputs;
    this.outputs = [];
    const state: StateEntry[] = [];
    if (this.metaDirty) {
      this.meta.clock = this.clock.snapshot();
      state.push({ key: 'meta', value: JSON.stringify(this.meta) });
      this.metaDirty = false;
    }
    for (const id of this.dirtyRides) {
      const ride = this.rides.get(id);
      state.push({ key: `ride|${id}`, value: ride ? JSON.stringify(ride) : null });
    }
    this.drainVehicles(state);
    for (const startMs of this.dirtyWindows) {
      const win = this.windows.get(startMs);
      state.push({
        key: `win|${startMs}`,
        value: win ? JSON.stringify({ fired: win.fired, seq: win.seq, sentCities: [...win.sentCities] }) : null,
      });
    }
    for (const key of this.dirtyAggregates) {
      const [startMs, city, zone] = key.split('|') as [string, string, string];
      const cell = this.windows.get(Number(startMs))?.cities.get(city);
      const aggregate = zone === '*' ? cell?.total : cell?.zones.get(zone);
      state.push({ key: `agg|${key}`, value: aggregate ? JSON.stringify(aggregate) : null });
    }
    for (const chunk of this.sealedChunks) {
      if (!this.droppedChunks.includes(chunk.id)) state.push({ key: `dd|${chunk.id}`, value: JSON.stringify(chunk) });
    }
    for (const id of this.droppedChunks) state.push({ key: `dd|${id}`, value: null });
    this.dirtyRides.clear();
    this.dirtyVehicles.clear();
    this.dirtyWindows.clear();
    this.dirtyAggregates.clear();
    this.sealedChunks = [];
    this.droppedChunks = [];
    return { outputs, state };
  }

  /**
   * Changed vehicles as one changelog record per commit (or a few, for a big one) rather than one
   * per vehicle: a vehicle partition changes thousands per batch, and the producer's cost is per
   * record. Chunks nothing needs any more are deleted in the same transaction.
   */
  private drainVehicles(state: StateEntry[]): void {
    for (const key of this.legacyVehicleKeys) state.push({ key, value: null });
    this.legacyVehicleKeys = [];
    if (this.dirtyVehicles.size === 0) return;
    const log = this.vehicleLog;
    for (const id of log.stragglers()) this.dirtyVehicles.add(id);
    let written: string[] = [];
    let deleted: string[] = [];
    let parts: string[] = [];
    let chars = 0;
    const cut = (): void => {
      state.push({ key: `vc|${log.append(written, deleted)}`, value: `[${parts.join(',')}]` });
      written = [];
      deleted = [];
      parts = [];
      chars = 0;
    };
    for (const id of this.dirtyVehicles) {
      const track = this.vehicles.get(id);
      let part: string;
      if (track) {
        written.push(id);
        part = JSON.stringify(encodeVehicle(track));
      } else if (log.holds(id)) {
        deleted.push(id);
        part = JSON.stringify([id]);
      } else {
        continue;
      }
      parts.push(part);
      chars += part.length + 1;
      if (chars >= MAX_VEHICLE_CHUNK_CHARS) cut();
    }
    if (parts.length > 0) cut();
    for (const seq of log.retire()) state.push({ key: `vc|${seq}`, value: null });
  }

  restore(key: string, value: string): void {
    const bar = key.indexOf('|');
    const kind = bar === -1 ? key : key.slice(0, bar);
    const rest = key.slice(bar + 1);
    switch (kind) {
      case 'meta':
        this.meta = JSON.parse(value) as MetaState;
        this.clock.restore(this.meta.clock);
        return;
      case 'ride': {
        this.rides.set(rest, JSON.parse(value) as OpenRide);
        return;
      }
      case 'vc':
        this.restoredVehicleChunks.push({ seq: Number(rest), value });
        return;
      case 'veh':
        // One record per vehicle, as an older version wrote them.
        this.vehicles.set(rest, JSON.parse(value) as VehicleTrack);
        this.legacyVehicleKeys.push(key);
        return;
      case 'win': {
        const saved = JSON.parse(value) as { fired: boolean; seq: number; sentCities: string[] };
        const win = this.windowAt(Number(rest));
        win.fired = saved.fired;
        win.seq = saved.seq;
        win.sentCities = new Set(saved.sentCities);
        return;
      }
      case 'agg': {
        const [startMs, city, zone] = rest.split('|') as [string, string, string];
        const win = this.windowAt(Number(startMs));
        let cell = win.cities.get(city);
        if (!cell) {
          cell = emptyCityWindow();
          win.cities.set(city, cell);
        }
        const aggregate = JSON.parse(value) as WindowAggregate;
        if (zone === '*') cell.total = aggregate;
        else cell.zones.set(zone, aggregate);
        return;
      }
      case 'dd':
        this.dedupe.restore(JSON.parse(value) as DedupeChunk);
        return;
      default:
        throw new Error(`unknown state entry ${key} for ${this.source}`);
    }
  }

  finishRestore(): void {
    this.dedupe.sortChunks();
    this.restoreVehicleChunks();
    // windowAt marks what it creates as changed; restored windows are already in the changelog.
    this.dirtyWindows.clear();
  }

  /** Replays the vehicle chunks oldest first (a later entry wins); vehicles of an older version's records go to the next chunk. */
  private restoreVehicleChunks(): void {
    const found: { seq: number; written: string[]; deleted: string[] }[] = [];
    for (const { seq, value } of this.restoredVehicleChunks.sort((a, b) => a.seq - b.seq)) {
      const chunk = { seq, written: [] as string[], deleted: [] as string[] };
      for (const entry of JSON.parse(value) as VehicleEntry[]) {
        const id = entry[0];
        if (entry.length === 1) {
          this.vehicles.delete(id);
          chunk.deleted.push(id);
        } else {
          this.vehicles.set(id, decodeVehicle(entry));
          chunk.written.push(id);
        }
      }
      found.push(chunk);
    }
    this.restoredVehicleChunks = [];
    this.vehicleLog.restore(found);
    for (const key of this.legacyVehicleKeys) {
      const id = key.slice(key.indexOf('|') + 1);
      if (this.vehicles.has(id)) this.dirtyVehicles.add(id);
    }
  }
}

/** A vehicle in a chunk: [id, city, t, status, zone, t, status, zone, …]. A deletion mark is [id]. */
type VehicleEntry = [string, ...(string | number)[]];

function encodeVehicle(track: VehicleTrack): VehicleEntry {
  const entry: VehicleEntry = [track.vehicleId, track.city];
  for (const h of track.history) entry.push(h.t, h.status, h.zone);
  return entry;
}

function decodeVehicle(entry: VehicleEntry): VehicleTrack {
  const history: VehicleStatusAt[] = [];
  for (let i = 2; i + 2 < entry.length; i += 3) {
    history.push({ t: entry[i] as number, status: entry[i + 1] as VehicleStatus, zone: entry[i + 2] as string });
  }
  return { vehicleId: entry[0], city: entry[1] as string, history };
}

function sparseZones(zones: Map<string, WindowAggregate>): Record<string, SparseAggregate> {
  const out: Record<string, SparseAggregate> = {};
  for (const [zone, aggregate] of zones) out[zone] = sparseAggregate(aggregate);
  return out;
}

function aggregateKey(startMs: number, city: string, zone: string): string {
  return `${startMs}|${city}|${zone}`;
}

function latestAtOrBefore(history: readonly VehicleStatusAt[], t: number): VehicleStatusAt | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i];
    if (entry && entry.t <= t) return entry;
  }
  return undefined;
}

function sourceHeaders(prefix: string, record: SourceRecord): Record<string, string> {
  return {
    [`${prefix}.source.topic`]: record.topic,
    [`${prefix}.source.partition`]: String(record.partition),
    [`${prefix}.source.offset`]: String(record.offset),
  };
}
