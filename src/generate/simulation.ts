import type {
  DriverAssigned,
  GeoPoint,
  RideCancelled,
  RideCompleted,
  RideEvent,
  RideRequested,
} from '../contract/generated/ride_events.js';
import type { CustomerSignup, DriverSignup, RatingSubmitted, UserEvent } from '../contract/generated/user_events.js';
import type { VehicleEvent } from '../contract/generated/vehicle_events.js';
import { cityIdTag, type City } from './cities.js';
import { demandFactor, LocalClock, supplyFactor, trafficSpeedFactor } from './demand.js';
import { AvailableDrivers, DISPATCH_MAX_RING } from './dispatch.js';
import { EventQueue } from './event-queue.js';
import { computeFare } from './fares.js';
import {
  bearingDeg,
  destination,
  haversineKm,
  normalizeHeading,
  round6,
  sampleDropoff,
  samplePickup,
  Zones,
  type Point,
} from './geo.js';
import { profilesFor, type CityProfiles } from './profiles.js';
import { Rng, runTag } from './random.js';
import { cityScales, DEFAULT_PING_INTERVAL_MS } from './scale.js';
import { SURGE_RING, surgeMultiplier, ZoneDemand } from './surge.js';

/**
 * A discrete-event simulation of ridehail cities. Pure: no I/O and no wall clock — time is the
 * simulated event time, advanced from one scheduled action to the next, so the same options give
 * the same events whether they are paced to real time or replayed as fast as possible.
 *
 * Event-time assumptions: every event is stamped with the time of the action that produced it;
 * actions run in (time, scheduling order), so the stream as a whole, and every ride within it, is in
 * non-decreasing event_time order. Times are whole milliseconds.
 */

export const SCHEMA_VERSION = 1;

export type TopicName = 'ride_events' | 'user_events' | 'vehicle_events';

export interface SimEvent {
  topic: TopicName;
  /** The record key: ride_id, user_id or vehicle_id, as the topic catalogue says. */
  key: string;
  timeMs: number;
  value: RideEvent | UserEvent | VehicleEvent;
}

export interface SimulationOptions {
  cities: readonly City[];
  seed: string;
  /** Event time of the first instant simulated, ms since the epoch. */
  startMs: number;
  /** Target events per second of event time; fleet and demand are sized from it. */
  eventsPerSecond: number;
  pingIntervalMs?: number;
}

export interface CityStatus {
  code: string;
  driversOnline: number;
  driversAvailable: number;
  openRides: number;
}

export interface SimulationStatus {
  timeMs: number;
  openRides: number;
  driversOnline: number;
  /** Actions on the agenda: what the simulation holds in memory grows with this. */
  scheduled: number;
  cities: CityStatus[];
}

/** What produces events for the runner: the simulation, or anything else with this shape. */
export interface EventSource {
  /** Event time of the next event, Infinity when exhausted. */
  nextTime(): number;
  /** Appends events with time ≤ untilMs to `out`, stopping once `max` were added (a step may add a few more). */
  advance(untilMs: number, out: SimEvent[], max: number): void;
  status(): SimulationStatus;
}

type Stage = 'requested' | 'assigned' | 'arrived' | 'started' | 'ended';
type DriverStatus = 'available' | 'en_route' | 'on_trip' | 'offline';
type CancelReason = RideCancelled['reason'];

interface Leg {
  from: Point;
  to: Point;
  startMs: number;
  endMs: number;
  speedKmh: number;
  heading: number;
}

interface Driver {
  city: CityState;
  id: string;
  vehicleId: string;
  rng: Rng;
  signedUp: boolean;
  status: DriverStatus;
  lat: number;
  lon: number;
  zone: number;
  heading: number;
  speedKmh: number;
  lastMoveMs: number;
  ride: Ride | null;
  leg: Leg | null;
  /** Asked to go offline: leaves as soon as it is idle. */
  leaving: boolean;
  /** Scheduled to come online shortly. */
  arriving: boolean;
  /** Bumped when going offline so pings scheduled earlier are recognised as stale. */
  pingToken: number;
  /** Position in the city's online or offline list, for O(1) removal. */
  slot: number;
  /** Where the driver goes to wait for the next ride when idle. */
  spot: Point;
}

interface Ride {
  id: string;
  city: CityState;
  rng: Rng;
  customer: number;
  customerId: string;
  pickup: Point;
  pickupZone: number;
  dropoff: Point;
  stage: Stage;
  driver: Driver | null;
  surge: number;
  distanceKm: number;
  durationS: number;
}

interface RatingPlan {
  city: string;
  rideId: string;
  raterId: string;
  rateeId: string;
  role: 'customer' | 'driver';
  rating: number;
  eventId: string;
}

type Action = { at: number; seq: number } & (
  | { kind: 'request'; city: CityState }
  | { kind: 'supply'; city: CityState }
  | { kind: 'growth'; city: CityState; role: 'driver' | 'customer' }
  | { kind: 'online'; driver: Driver }
  | { kind: 'leave'; driver: Driver }
  | { kind: 'ping'; driver: Driver; token: number }
  | { kind: 'dispatch'; ride: Ride; deadline: number }
  | { kind: 'cancel'; ride: Ride; stage: Stage; by: RideCancelled['cancelled_by']; reason: CancelReason }
  | { kind: 'arrive'; ride: Ride }
  | { kind: 'start'; ride: Ride }
  | { kind: 'complete'; ride: Ride }
  | { kind: 'rating'; plan: RatingPlan }
);
type ActionInit = Action extends infer A ? (A extends Action ? Omit<A, 'seq'> : never) : never;

interface CityState {
  city: City;
  idTag: string;
  rng: Rng;
  local: LocalClock;
  profiles: CityProfiles;
  hotspots: Point[];
  requestsPerMs: number;
  meanOnline: number;
  available: AvailableDrivers<Driver>;
  demand: ZoneDemand;
  online: Driver[];
  offline: Driver[];
  arriving: number;
  leaving: number;
  nextDriver: number;
  nextRide: number;
  customers: number;
  signedUpCustomers: GrowableBitset;
  ridingCustomers: Set<number>;
  openRides: number;
}

/** Signed-up customers, one bit each: a city's customer base costs kilobytes, not objects. */
class GrowableBitset {
  private bits = new Uint8Array(1024);

  has(i: number): boolean {
    return ((this.bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  add(i: number): void {
    const byte = i >> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[byte] = (this.bits[byte] ?? 0) | (1 << (i & 7));
  }
}

const SECOND = 1_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
/** Dispatch retries this often while no driver is found… */
const DISPATCH_RETRY_MS = 15 * SECOND;
/** …until the platform gives up and cancels. */
const DISPATCH_TIMEOUT_MS = 5 * MINUTE;
const SUPPLY_CONTROL_MS = MINUTE;
/** Above this share of busy drivers, extra drivers come online until it drops back. */
const BUSY_SHARE_THAT_PULLS_DRIVERS = 0.75;
/** Drivers join (and as many leave) at this share of the fleet per day; customers grow by theirs. */
const DRIVER_TURNOVER_PER_DAY = 0.004;
const CUSTOMER_GROWTH_PER_DAY = 0.002;
/** Streets are not straight lines. */
const ROAD_FACTOR = 1.3;

const point = (lat: number, lon: number): GeoPoint => ({ lat: round6(lat), lon: round6(lon) });
/** RFC 3339 with milliseconds; the part up to the second is reused, as most events share it with the previous one. */
let isoSecond = Number.NaN;
let isoPrefix = '';
const iso = (ms: number): string => {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - second * 1000;
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
};
const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

export class Simulation implements EventSource {
  private readonly queue = new EventQueue<Action>();
  private readonly cities: CityState[];
  private readonly seed: string;
  private readonly tag: string;
  private readonly pingIntervalMs: number;
  private readonly zones = new Zones(DISPATCH_MAX_RING);
  private now: number;
  private out: SimEvent[] = [];

  constructor(options: SimulationOptions) {
    if (options.cities.length === 0) throw new Error('a simulation needs at least one city');
    this.seed = options.seed;
    this.tag = runTag(options.seed);
    this.now = Math.round(options.startMs);
    this.pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    const scales = cityScales(options.cities, options.eventsPerSecond, this.pingIntervalMs);
    this.cities = options.cities.map((city, i) => {
      const scale = scales[i]!;
      const rng = Rng.derive(this.seed, 'city', city.code);
      const hotspots = Array.from({ length: 4 }, () =>
        destination(city.center.lat, city.center.lon, rng.range(0, 360), city.radiusKm * rng.range(0.15, 0.7)),
      );
      const state: CityState = {
        city,
        idTag: cityIdTag(city.code),
        rng,
        local: new LocalClock(city.timeZone),
        profiles: profilesFor(city, new Date(this.now).getUTCFullYear()),
        hotspots,
        requestsPerMs: scale.requestsPerSecond / SECOND,
        meanOnline: scale.meanOnline,
        available: new AvailableDrivers<Driver>(this.zones),
        demand: new ZoneDemand(this.zones),
        online: [],
        offline: [],
        arriving: 0,
        leaving: 0,
        nextDriver: 0,
        nextRide: 0,
        customers: scale.customers,
        signedUpCustomers: new GrowableBitset(),
        ridingCustomers: new Set(),
        openRides: 0,
      };
      // Drivers registered before the run starts publish their signup just before their first shift.
      for (let d = 0; d < scale.fleet; d++) this.addToPool(state, this.newDriver(state, false));
      return state;
    });
    for (const state of this.cities) {
      this.schedule({ kind: 'supply', city: state, at: this.now });
      this.schedule({ kind: 'request', city: state, at: this.now + this.requestGap(state, this.now) });
      this.schedule({ kind: 'growth', city: state, role: 'driver', at: this.now + this.growthGap(state, 'driver') });
      this.schedule({ kind: 'growth', city: state, role: 'customer', at: this.now + this.growthGap(state, 'customer') });
    }
  }

  nextTime(): number {
    return this.queue.peekTime();
  }

  advance(untilMs: number, out: SimEvent[], max: number): void {
    this.out = out;
    const limit = out.length + max;
    while (out.length < limit && this.queue.peekTime() <= untilMs) {
      const action = this.queue.pop()!;
      this.now = action.at;
      this.perform(action);
    }
  }

  status(): SimulationStatus {
    const cities = this.cities.map((s) => ({
      code: s.city.code,
      driversOnline: s.online.length,
      driversAvailable: s.available.size,
      openRides: s.openRides,
    }));
    return {
      timeMs: this.now,
      openRides: cities.reduce((n, c) => n + c.openRides, 0),
      driversOnline: cities.reduce((n, c) => n + c.driversOnline, 0),
      scheduled: this.queue.size,
      cities,
    };
  }

  private schedule(action: ActionInit): void {
    // Whole milliseconds, never in the past: the stream's event times must not go backwards.
    (action as Action).at = Math.max(this.now, Math.round(action.at));
    this.queue.push(action as Action);
  }

  /**
   * Puts a fired recurring action back on the agenda. Reusing the object matters: pings are most
   * of the agenda, and fresh objects that live for a simulated half-minute would all be promoted
   * to the old generation and collected there, slowly.
   */
  private reschedule(action: Action, at: number): void {
    action.at = Math.max(this.now, Math.round(at));
    this.queue.push(action);
  }

  private emit(topic: TopicName, key: string, value: SimEvent['value']): void {
    this.out.push({ topic, key, timeMs: this.now, value });
  }

  private perform(action: Action): void {
    switch (action.kind) {
      case 'request':
        this.onRequest(action.city);
        return this.reschedule(action, this.now + this.requestGap(action.city, this.now));
      case 'supply':
        this.onSupplyControl(action.city);
        return this.reschedule(action, this.now + SUPPLY_CONTROL_MS);
      case 'growth':
        return this.onGrowth(action.city, action.role);
      case 'online':
        return this.goOnline(action.driver);
      case 'leave':
        if (action.driver.leaving && action.driver.status === 'available') this.goOffline(action.driver);
        return;
      case 'ping':
        if (action.token !== action.driver.pingToken) return;
        this.onPing(action.driver);
        return this.reschedule(action, this.now + this.pingIntervalMs + action.driver.rng.int(-500, 500));
      case 'dispatch':
        return this.onDispatch(action.ride, action.deadline);
      case 'cancel':
        if (action.ride.stage === action.stage) this.cancel(action.ride, action.by, action.reason);
        return;
      case 'arrive':
        return this.onArrive(action.ride);
      case 'start':
        return this.onStart(action.ride);
      case 'complete':
        return this.onComplete(action.ride);
      case 'rating':
        return this.onRating(action.plan);
    }
  }

  // ---- people -------------------------------------------------------------------------------

  private newDriver(state: CityState, signedUp: boolean): Driver {
    const n = (state.nextDriver++).toString(36);
    const id = `drv_${this.tag}${state.idTag}${n}`;
    return {
      city: state,
      id,
      vehicleId: `veh_${this.tag}${state.idTag}${n}`,
      rng: Rng.derive(this.seed, id),
      signedUp,
      status: 'offline',
      lat: state.city.center.lat,
      lon: state.city.center.lon,
      zone: -1,
      heading: 0,
      speedKmh: 0,
      lastMoveMs: this.now,
      ride: null,
      leg: null,
      leaving: false,
      arriving: false,
      pingToken: 0,
      slot: -1,
      spot: state.city.center,
    };
  }

  private customerId(state: CityState, n: number): string {
    return `cus_${this.tag}${state.idTag}${n.toString(36)}`;
  }

  private emitDriverSignup(driver: Driver): void {
    const state = driver.city;
    const fields = state.profiles.driver.one(driver.id, { seed: this.seed, locale: state.city.locale, refDate: this.now });
    const event: DriverSignup = {
      event_id: driver.rng.uuid(),
      event_type: 'driver_signup',
      event_time: iso(this.now),
      schema_version: SCHEMA_VERSION,
      city: state.city.code,
      user_id: driver.id,
      profile: {
        name: fields.name,
        phone: fields.phone,
        email: fields.email,
        license_number: fields.license_number,
        vehicle: { vehicle_id: driver.vehicleId, ...fields.vehicle },
      },
    };
    driver.signedUp = true;
    this.emit('user_events', driver.id, event);
  }

  private emitCustomerSignup(state: CityState, n: number): void {
    const id = this.customerId(state, n);
    const profile = state.profiles.customer.one(id, { seed: this.seed, locale: state.city.locale, refDate: this.now });
    const event: CustomerSignup = {
      event_id: Rng.derive(this.seed, id).uuid(),
      event_type: 'customer_signup',
      event_time: iso(this.now),
      schema_version: SCHEMA_VERSION,
      city: state.city.code,
      user_id: id,
      profile,
    };
    state.signedUpCustomers.add(n);
    this.emit('user_events', id, event);
  }

  private growthGap(state: CityState, role: 'driver' | 'customer'): number {
    const base = role === 'driver' ? (state.online.length + state.offline.length + state.arriving) * DRIVER_TURNOVER_PER_DAY : state.customers * CUSTOMER_GROWTH_PER_DAY;
    return state.rng.exponential(DAY / Math.max(base, 0.1));
  }

  /** New people sign up over time; a joining driver replaces one who quits, so the fleet stays bounded. */
  private onGrowth(state: CityState, role: 'driver' | 'customer'): void {
    if (role === 'customer') {
      this.emitCustomerSignup(state, state.customers++);
    } else {
      const joining = this.newDriver(state, false);
      this.emitDriverSignup(joining);
      if (state.offline.length > 0) this.removeFromPool(state.offline, state.offline[state.rng.int(0, state.offline.length - 1)]!);
      this.addToPool(state, joining);
    }
    this.schedule({ kind: 'growth', city: state, role, at: this.now + this.growthGap(state, role) });
  }

  // ---- supply ---------------------------------------------------------------------------------

  private addToPool(state: CityState, driver: Driver): void {
    driver.slot = state.offline.length;
    state.offline.push(driver);
  }

  private removeFromPool(list: Driver[], driver: Driver): void {
    const last = list.pop()!;
    if (last !== driver) {
      list[driver.slot] = last;
      last.slot = driver.slot;
    }
    driver.slot = -1;
  }

  /**
   * Once a minute, steer the number of drivers online toward the supply curve. Arrivals and
   * departures are spread over the next minute so the stream has no minute-boundary spikes.
   */
  private onSupplyControl(state: CityState): void {
    const local = state.local.at(this.now);
    // Drivers follow the supply curve, and more log on when most are busy (surge pulls them in).
    const busy = state.online.length - state.available.size;
    const target = Math.max(Math.round(state.meanOnline * supplyFactor(local.hour, local.weekday)), Math.ceil(busy / BUSY_SHARE_THAT_PULLS_DRIVERS));
    const committed = state.online.length + state.arriving - state.leaving;
    if (committed < target) {
      const joining = Math.min(target - committed, state.offline.length);
      for (let i = 0; i < joining; i++) {
        const driver = state.offline[state.rng.int(0, state.offline.length - 1)]!;
        this.removeFromPool(state.offline, driver);
        driver.arriving = true;
        state.arriving++;
        this.schedule({ kind: 'online', driver, at: this.now + state.rng.range(0, SUPPLY_CONTROL_MS) });
      }
    } else if (committed > target) {
      const excess = committed - target;
      for (let i = 0, tries = 0; i < excess && tries < excess * 4 && state.online.length > 0; tries++) {
        const driver = state.online[state.rng.int(0, state.online.length - 1)]!;
        if (driver.leaving) continue;
        driver.leaving = true;
        state.leaving++;
        i++;
        this.schedule({ kind: 'leave', driver, at: this.now + state.rng.range(0, SUPPLY_CONTROL_MS) });
      }
    }
  }

  private goOnline(driver: Driver): void {
    const state = driver.city;
    driver.arriving = false;
    state.arriving--;
    if (!driver.signedUp) this.emitDriverSignup(driver);
    // A shift starts near where riders are: home, or a spot the driver knows to be busy.
    const start = samplePickup(driver.rng, state.city.center, state.city.radiusKm, state.hotspots);
    driver.lat = start.lat;
    driver.lon = start.lon;
    driver.zone = this.zones.at(start.lat, start.lon);
    driver.status = 'available';
    driver.heading = normalizeHeading(driver.rng.range(0, 360));
    driver.speedKmh = 0;
    driver.lastMoveMs = this.now;
    driver.spot = this.sampleSpot(driver);
    driver.slot = state.online.length;
    state.online.push(driver);
    state.available.add(driver);
    this.emitVehicle(driver, 'vehicle_online', false);
    this.schedule({ kind: 'ping', driver, token: driver.pingToken, at: this.now + driver.rng.range(SECOND, this.pingIntervalMs) });
  }

  private goOffline(driver: Driver): void {
    const state = driver.city;
    state.available.remove(driver);
    if (driver.leaving) {
      driver.leaving = false;
      state.leaving--;
    }
    driver.status = 'offline';
    driver.speedKmh = 0;
    driver.pingToken++;
    this.removeFromPool(state.online, driver);
    this.addToPool(state, driver);
    this.emitVehicle(driver, 'vehicle_offline', false);
  }

  private emitVehicle(driver: Driver, type: VehicleEvent['event_type'], withMotion: boolean): void {
    const event: VehicleEvent = {
      event_id: driver.rng.uuid(),
      event_type: type,
      event_time: iso(this.now),
      schema_version: SCHEMA_VERSION,
      city: driver.city.city.code,
      vehicle_id: driver.vehicleId,
      driver_id: driver.id,
      status: driver.status,
      location: point(driver.lat, driver.lon),
    };
    if (withMotion) {
      event.heading = driver.heading;
      event.speed_kmh = Math.round(driver.speedKmh * 10) / 10;
    }
    this.emit('vehicle_events', driver.vehicleId, event);
  }

  /** Brings a driver's position up to now, then reports it. */
  private onPing(driver: Driver): void {
    this.moveDriver(driver);
    this.emitVehicle(driver, 'vehicle_location', true);
  }

  private moveDriver(driver: Driver): void {
    const elapsed = this.now - driver.lastMoveMs;
    driver.lastMoveMs = this.now;
    if (driver.leg) {
      const leg = driver.leg;
      const progress = leg.endMs > leg.startMs ? clamp((this.now - leg.startMs) / (leg.endMs - leg.startMs), 0, 1) : 1;
      driver.lat = leg.from.lat + (leg.to.lat - leg.from.lat) * progress;
      driver.lon = leg.from.lon + (leg.to.lon - leg.from.lon) * progress;
      driver.heading = leg.heading;
      driver.speedKmh = progress < 1 ? leg.speedKmh * driver.rng.range(0.7, 1.3) : 0;
      return;
    }
    if (driver.status !== 'available') {
      driver.speedKmh = 0;
      return;
    }
    // Idle drivers head for a spot where riders are likely (drawn from the same distribution as
    // pickups), wait there a while, then try another: idle supply ends up where demand is.
    const toSpotKm = haversineKm(driver.lat, driver.lon, driver.spot.lat, driver.spot.lon);
    if (toSpotKm < 0.3 || driver.rng.chance(0.2)) {
      driver.speedKmh = 0;
      if (toSpotKm < 0.3 && driver.rng.chance(0.15)) driver.spot = this.sampleSpot(driver);
      return;
    }
    driver.speedKmh = driver.rng.range(12, 32);
    driver.heading = normalizeHeading(bearingDeg(driver.lat, driver.lon, driver.spot.lat, driver.spot.lon) + driver.rng.normal(0, 15));
    const stepKm = Math.min(toSpotKm, (driver.speedKmh * elapsed) / 3_600_000);
    const next = destination(driver.lat, driver.lon, driver.heading, stepKm);
    driver.city.available.move(driver, next.lat, next.lon, this.zones.update(driver.zone, next.lat, next.lon));
  }

  private sampleSpot(driver: Driver): Point {
    const { city, hotspots } = driver.city;
    return samplePickup(driver.rng, city.center, city.radiusKm, hotspots);
  }

  /** Frees a driver after a ride: back to work, or home if asked to leave. */
  private releaseDriver(driver: Driver): void {
    driver.ride = null;
    driver.leg = null;
    driver.speedKmh = 0;
    driver.lastMoveMs = this.now;
    if (driver.leaving) {
      this.goOffline(driver);
      return;
    }
    driver.status = 'available';
    driver.spot = this.sampleSpot(driver);
    driver.zone = this.zones.update(driver.zone, driver.lat, driver.lon);
    driver.city.available.add(driver);
  }

  // ---- rides ----------------------------------------------------------------------------------

  private requestGap(state: CityState, at: number): number {
    const local = state.local.at(at);
    const rate = state.requestsPerMs * demandFactor(local.hour, local.weekday);
    return state.rng.exponential(1 / Math.max(rate, 1e-12));
  }

  /** Picks a rider: a few frequent riders take many rides, most ride now and then. */
  private pickCustomer(state: CityState): number | undefined {
    for (let tries = 0; tries < 4; tries++) {
      const n = Math.floor(state.customers * state.rng.next() ** 1.5);
      if (!state.ridingCustomers.has(n)) return n;
    }
    return undefined;
  }

  private onRequest(state: CityState): void {
    const customer = this.pickCustomer(state);
    if (customer === undefined) return;
    const id = `ride_${this.tag}${state.idTag}${(state.nextRide++).toString(36)}`;
    const rng = Rng.derive(this.seed, id);
    const { city } = state;
    const pickup = samplePickup(rng, city.center, city.radiusKm, state.hotspots);
    const dropoff = sampleDropoff(rng, pickup, city.center, city.radiusKm);
    const ride: Ride = {
      id,
      city: state,
      rng,
      customer,
      customerId: this.customerId(state, customer),
      pickup,
      pickupZone: this.zones.at(pickup.lat, pickup.lon),
      dropoff,
      stage: 'requested',
      driver: null,
      surge: 1,
      distanceKm: 0,
      durationS: 0,
    };
    if (!state.signedUpCustomers.has(customer)) this.emitCustomerSignup(state, customer);
    state.ridingCustomers.add(customer);
    state.openRides++;
    const productDraw = rng.next();
    const event: RideRequested = {
      event_id: rng.uuid(),
      event_type: 'ride_requested',
      event_time: iso(this.now),
      schema_version: SCHEMA_VERSION,
      city: city.code,
      ride_id: id,
      customer_id: ride.customerId,
      location: point(pickup.lat, pickup.lon),
      pickup: point(pickup.lat, pickup.lon),
      dropoff: point(dropoff.lat, dropoff.lon),
      product: productDraw < 0.8 ? 'standard' : productDraw < 0.92 ? 'comfort' : 'xl',
    };
    this.emit('ride_events', id, event);
    state.demand.record(ride.pickupZone, this.now);

    const deadline = this.now + DISPATCH_TIMEOUT_MS;
    this.schedule({ kind: 'dispatch', ride, deadline, at: this.now + rng.range(2, 10) * SECOND });
    this.schedule({ kind: 'cancel', ride, stage: 'requested', by: 'system', reason: 'no_driver_found', at: deadline });
    const patience = clamp(rng.logNormal(4 * MINUTE, 0.45), MINUTE, 15 * MINUTE);
    this.schedule({ kind: 'cancel', ride, stage: 'requested', by: 'customer', reason: 'wait_too_long', at: this.now + patience });
    if (rng.chance(0.03)) {
      this.schedule({ kind: 'cancel', ride, stage: 'requested', by: 'customer', reason: 'changed_plans', at: this.now + rng.range(10, 120) * SECOND });
    }
  }

  private onDispatch(ride: Ride, deadline: number): void {
    if (ride.stage !== 'requested') return;
    const state = ride.city;
    const driver = state.available.nearest(ride.pickup.lat, ride.pickup.lon, ride.pickupZone);
    if (!driver) {
      if (this.now + DISPATCH_RETRY_MS < deadline) this.schedule({ kind: 'dispatch', ride, deadline, at: this.now + DISPATCH_RETRY_MS });
      return;
    }
    // Surge is quoted from the zone as the rider sees it, idle drivers (this one included) counted.
    ride.surge = surgeMultiplier(state.demand.near(ride.pickupZone, this.now), state.available.countNear(ride.pickupZone, SURGE_RING));
    state.available.remove(driver);
    this.moveDriver(driver);
    driver.status = 'en_route';
    driver.ride = ride;
    ride.driver = driver;
    ride.stage = 'assigned';

    const { rng } = ride;
    const local = state.local.at(this.now);
    const speed = state.city.avgSpeedKmh * trafficSpeedFactor(local.hour, local.weekday) * rng.range(0.85, 1.15);
    const roadKm = haversineKm(driver.lat, driver.lon, ride.pickup.lat, ride.pickup.lon) * ROAD_FACTOR;
    const etaS = Math.max(30, Math.round((roadKm / speed) * 3600));
    const actualMs = etaS * SECOND * clamp(rng.logNormal(1, 0.15), 0.7, 1.6);
    driver.leg = {
      from: { lat: driver.lat, lon: driver.lon },
      to: ride.pickup,
      startMs: this.now,
      endMs: this.now + actualMs,
      speedKmh: speed,
      heading: bearingDeg(driver.lat, driver.lon, ride.pickup.lat, ride.pickup.lon),
    };
    const event: DriverAssigned = {
      event_id: rng.uuid(),
      event_type: 'driver_assigned',
      event_time: iso(this.now),
      schema_version: SCHEMA_VERSION,
      city: state.city.code,
      ride_id: ride.id,
      customer_id: ride.customerId,
      driver_id: driver.id,
      vehicle_id: driver.vehicleId,
      location: point(driver.lat, driver.lon),
      eta_s: etaS,
      surge_multiplier: ride.surge,
    };
    this.emit('ride_events', ride.id, event);
    this.schedule({ kind: 'arrive', ride, at: this.now + actualMs });

    // While the driver is on the way, either side may call it off; far drivers try riders' patience.
    const draw = rng.next();
    const window = (min: number): number => this.now + rng.range(min, Math.max(min + 1, actualMs / SECOND)) * SECOND;
    if (etaS > 10 * 60 && draw < 0.4) {
      this.schedule({ kind: 'cancel', ride, stage: 'assigned', by: 'customer', reason: 'driver_too_far', at: window(15) });
    } else if (draw > 0.975) {
      this.schedule({ kind: 'cancel', ride, stage: 'assigned', by: 'customer', reason: 'changed_plans', at: window(5) });
    } else if (draw > 0.96) {
      this.schedule({ kind: 'cancel', ride, stage: 'assigned', by: 'driver', reason: 'driver_unavailable', at: window(10) });
    }
  }

  private onArrive(ride: Ride): void {
    if (ride.stage !== 'assigned' || !ride.driver) return;
    const driver = ride.driver;
    ride.stage = 'arrived';
    driver.leg = null;
    driver.lat = ride.pickup.lat;
    driver.lon = ride.pickup.lon;
    driver.speedKmh = 0;
    driver.lastMoveMs = this.now;
    this.emitRideStep(ride, 'driver_arrived', ride.pickup);
    if (ride.rng.chance(0.03)) {
      this.schedule({ kind: 'cancel', ride, stage: 'arrived', by: 'driver', reason: 'customer_no_show', at: this.now + 5 * MINUTE });
    } else {
      this.schedule({ kind: 'start', ride, at: this.now + clamp(ride.rng.logNormal(70 * SECOND, 0.5), 15 * SECOND, 5 * MINUTE) });
    }
  }

  private onStart(ride: Ride): void {
    if (ride.stage !== 'arrived' || !ride.driver) return;
    const driver = ride.driver;
    const state = ride.city;
    const { rng } = ride;
    ride.stage = 'started';
    driver.status = 'on_trip';
    const local = state.local.at(this.now);
    const speed = state.city.avgSpeedKmh * trafficSpeedFactor(local.hour, local.weekday) * rng.range(0.8, 1.2);
    const straightKm = haversineKm(ride.pickup.lat, ride.pickup.lon, ride.dropoff.lat, ride.dropoff.lon);
    ride.distanceKm = Math.max(0.3, Math.round(straightKm * (ROAD_FACTOR - 0.05 + Math.abs(rng.normal(0, 0.1))) * 100) / 100);
    ride.durationS = Math.max(60, Math.round((ride.distanceKm / speed) * 3600));
    driver.leg = {
      from: ride.pickup,
      to: ride.dropoff,
      startMs: this.now,
      endMs: this.now + ride.durationS * SECOND,
      speedKmh: speed,
      heading: bearingDeg(ride.pickup.lat, ride.pickup.lon, ride.dropoff.lat, ride.dropoff.lon),
    };
    driver.lastMoveMs = this.now;
    this.emitRideStep(ride, 'ride_started', ride.pickup);
    this.schedule({ kind: 'complete', ride, at: this.now + ride.durationS * SECOND });
  }

  private emitRideStep(ride: Ride, type: 'driver_arrived' | 'ride_started', at: Point): void {
    const driver = ride.driver!;
    this.emit('ride_events', ride.id, {
      event_id: ride.rng.uuid(),
      event_type: type,
      event_time: iso(this.now),
      schema_version: SCHEMA_VERSION,
      city: ride.city.city.code,
      ride_id: ride.id,
      customer_id: ride.customerId,
      driver_id: driver.id,
      vehicle_id: driver.vehicleId,
      location: point(at.lat, at.lon),
    });
  }

  private onComplete(ride: Ride): void {
    if (ride.stage !== 'started' || !ride.driver) return;
    const driver = ride.driver;
    const state = ride.city;
    const { rng } = ride;
    const { city } = state;
    ride.stage = 'ended';
    driver.lat = ride.dropoff.lat;
    driver.lon = ride.dropoff.lon;
    const paymentDraw = rng.next();
    const event: RideCompleted = {
      event_id: rng.uuid(),
      event_type: 'ride_completed',
      event_time: iso(this.now),
      schema_version: SCHEMA_VERSION,
      city: city.code,
      ride_id: ride.id,
      customer_id: ride.customerId,
      driver_id: driver.id,
      vehicle_id: driver.vehicleId,
      location: point(ride.dropoff.lat, ride.dropoff.lon),
      distance_km: ride.distanceKm,
      duration_s: ride.durationS,
      fare: computeFare(city.rateCard, city.currency, ride.distanceKm, ride.durationS, ride.surge),
      payment_method: paymentDraw < city.cashShare ? 'cash' : paymentDraw < city.cashShare + (1 - city.cashShare) * 0.25 ? 'wallet' : 'card',
    };
    this.emit('ride_events', ride.id, event);
    this.endRide(ride);
    this.releaseDriver(driver);

    // Most riders rate within minutes; drivers rate the rider right away, or not at all.
    if (rng.chance(0.7)) {
      this.scheduleRating(ride, ride.customerId, driver.id, 'customer', [2, 2, 5, 17, 74], clamp(rng.logNormal(4 * MINUTE, 0.8), 20 * SECOND, 2 * 3_600_000));
    }
    if (rng.chance(0.5)) {
      this.scheduleRating(ride, driver.id, ride.customerId, 'driver', [1, 1, 3, 12, 83], rng.range(5, 120) * SECOND);
    }
  }

  private scheduleRating(ride: Ride, raterId: string, rateeId: string, role: 'customer' | 'driver', weights: number[], delayMs: number): void {
    const plan: RatingPlan = {
      city: ride.city.city.code,
      rideId: ride.id,
      raterId,
      rateeId,
      role,
      rating: ride.rng.weighted(weights) + 1,
      eventId: ride.rng.uuid(),
    };
    this.schedule({ kind: 'rating', plan, at: this.now + delayMs });
  }

  private onRating(plan: RatingPlan): void {
    const event: RatingSubmitted = {
      event_id: plan.eventId,
      event_type: 'rating_submitted',
      event_time: iso(this.now),
      schema_version: SCHEMA_VERSION,
      city: plan.city,
      user_id: plan.raterId,
      ride_id: plan.rideId,
      rater_id: plan.raterId,
      ratee_id: plan.rateeId,
      rater_role: plan.role,
      rating: plan.rating,
    };
    this.emit('user_events', plan.raterId, event);
  }

  private cancel(ride: Ride, by: RideCancelled['cancelled_by'], reason: CancelReason): void {
    const driver = ride.driver;
    let location = ride.pickup;
    if (driver) {
      this.moveDriver(driver);
      if (by === 'driver') location = { lat: driver.lat, lon: driver.lon };
    }
    ride.stage = 'ended';
    const event: RideCancelled = {
      event_id: ride.rng.uuid(),
      event_type: 'ride_cancelled',
      event_time: iso(this.now),
      schema_version: SCHEMA_VERSION,
      city: ride.city.city.code,
      ride_id: ride.id,
      customer_id: ride.customerId,
      ...(driver ? { driver_id: driver.id, vehicle_id: driver.vehicleId } : {}),
      location: point(location.lat, location.lon),
      cancelled_by: by,
      reason,
    };
    this.emit('ride_events', ride.id, event);
    this.endRide(ride);
    if (driver) this.releaseDriver(driver);
  }

  /** A ride that ended is forgotten: nothing but pending ratings refers to it any more. */
  private endRide(ride: Ride): void {
    ride.city.ridingCustomers.delete(ride.customer);
    ride.city.openRides--;
  }
}
