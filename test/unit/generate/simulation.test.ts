import { beforeAll, describe, expect, it } from 'vitest';
import type { DriverAssigned, RideCancelled, RideCompleted, RideEvent, RideRequested, RideStarted } from '../../../src/contract/generated/ride_events.js';
import type { RatingSubmitted, UserEvent } from '../../../src/contract/generated/user_events.js';
import type { VehicleEvent } from '../../../src/contract/generated/vehicle_events.js';
import { SOURCE_TOPICS } from '../../../src/contract/topics.js';
import { validate, type SchemaId } from '../../../src/contract/validate.js';
import { haversineKm } from '../../../src/generate/geo.js';
import { cityOf, groupBy, parse, run, type Parsed } from './support.js';

/**
 * The simulation's promises, checked over one run of 150,000 events in eight cities: an evening
 * rush hour in Europe and the morning in the Americas, with pings every two minutes so that the
 * rides (not the pings) are most of what is checked.
 */

const EVENTS = 150_000;
let stream: Parsed[];
let rides: Map<string, Parsed[]>;

const rideValue = (p: Parsed): RideEvent => p.value as RideEvent;

beforeAll(async () => {
  const { records } = await run({ seed: 'invariants', count: EVENTS, rate: 20, pingIntervalMs: 120_000 });
  stream = parse(records);
  rides = groupBy(stream.filter((p) => p.topic === 'ride_events'), (p) => rideValue(p).ride_id);
}, 60_000);

/**
 * Collects violations instead of calling expect() per event: a matcher call per event of 150,000
 * costs seconds, and one list of the first few violations says more than the first alone.
 */
class Violations {
  readonly found: string[] = [];
  count = 0;

  check(ok: boolean, message: () => string): void {
    if (ok) return;
    this.count++;
    if (this.found.length < 5) this.found.push(message());
  }

  same(actual: unknown, expected: unknown, what: () => string): void {
    this.check(actual === expected, () => `${what()}: ${JSON.stringify(actual)} instead of ${JSON.stringify(expected)}`);
  }

  assertNone(): void {
    expect(this.found, `${this.count} violations, the first: ${this.found[0]}`).toEqual([]);
  }
}

/** Independent of src/generate/fares.ts: half-up at the cent, as the schema's Fare describes. */
function cents(value: number): number {
  return Math.round(value * 100 + 1e-7) / 100;
}

describe('the simulated stream', () => {
  it('has the events it was asked for, of every kind', () => {
    expect(stream).toHaveLength(EVENTS);
    const types = new Set(stream.map((p) => p.value.event_type));
    for (const type of [
      'ride_requested', 'driver_assigned', 'driver_arrived', 'ride_started', 'ride_completed', 'ride_cancelled',
      'driver_signup', 'customer_signup', 'rating_submitted', 'vehicle_online', 'vehicle_offline', 'vehicle_location',
    ]) {
      expect(types, type).toContain(type);
    }
    // Enough whole rides that the invariants below are about thousands of cases, not a handful.
    expect(stream.filter((p) => p.value.event_type === 'ride_completed').length).toBeGreaterThan(1_000);
  });

  it("validates every event against its topic's JSON Schema", () => {
    const failures: string[] = [];
    for (const p of stream) {
      const result = validate(`${p.topic}.schema.json` as SchemaId, p.value);
      if (!result.ok && failures.length < 5) failures.push(`${p.topic} ${p.value.event_type}: ${result.errors.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });

  it("keys every record by its topic's key field (ride_id, user_id, vehicle_id)", () => {
    const keyField = new Map(SOURCE_TOPICS.map((t) => [t.name, t.key]));
    const v = new Violations();
    for (const p of stream) {
      const field = keyField.get(p.topic) ?? 'no such topic';
      v.same((p.value as unknown as Record<string, unknown>)[field], p.key, () => `${p.topic} record ${p.index}: ${field}`);
    }
    v.assertNone();
  });

  it('gives every event its own event_id', () => {
    expect(new Set(stream.map((p) => p.value.event_id)).size).toBe(stream.length);
  });

  it('never goes back in event time', () => {
    for (let i = 1; i < stream.length; i++) {
      if (stream[i]!.timeMs < stream[i - 1]!.timeMs) throw new Error(`event ${i} (${stream[i]!.value.event_time}) is before event ${i - 1}`);
    }
  });
});

describe('rides', () => {
  const NEXT: Record<string, readonly string[]> = {
    ride_requested: ['driver_assigned', 'ride_cancelled'],
    driver_assigned: ['driver_arrived', 'ride_cancelled'],
    driver_arrived: ['ride_started', 'ride_cancelled'],
    ride_started: ['ride_completed'],
    ride_completed: [],
    ride_cancelled: [],
  };

  it("keeps each ride's events in lifecycle order with non-decreasing event_time", () => {
    const v = new Violations();
    for (const [id, events] of rides) {
      v.same(rideValue(events[0]!).event_type, 'ride_requested', () => `${id} first event`);
      for (let i = 1; i < events.length; i++) {
        const before = rideValue(events[i - 1]!);
        const after = rideValue(events[i]!);
        v.check(NEXT[before.event_type]!.includes(after.event_type), () => `${id}: ${before.event_type} → ${after.event_type}`);
        v.check(events[i]!.timeMs >= events[i - 1]!.timeMs, () => `${id}: ${after.event_type} at ${after.event_time} before ${before.event_time}`);
        v.same(after.customer_id, before.customer_id, () => `${id} customer`);
        v.same(after.city, before.city, () => `${id} city`);
      }
    }
    v.assertNone();
  });

  it('never assigns a driver to two rides at once', () => {
    const busyWith = new Map<string, string>();
    const v = new Violations();
    let assignments = 0;
    for (const p of stream) {
      if (p.topic !== 'ride_events') continue;
      const e = rideValue(p);
      if (e.event_type === 'driver_assigned') {
        assignments++;
        const other = busyWith.get(e.driver_id);
        v.check(other === undefined, () => `${e.driver_id} assigned to ${e.ride_id} at ${e.event_time} while still on ${other}`);
        busyWith.set(e.driver_id, e.ride_id);
      } else if ((e.event_type === 'ride_completed' || e.event_type === 'ride_cancelled') && e.driver_id !== undefined) {
        v.same(busyWith.get(e.driver_id), e.ride_id, () => `${e.driver_id} released by ${e.ride_id}`);
        busyWith.delete(e.driver_id);
      }
    }
    v.assertNone();
    expect(assignments).toBeGreaterThan(1_000);
  });

  it('keeps the assigned driver and vehicle on every later event of the ride, one vehicle per driver', () => {
    const vehicleOf = new Map<string, string>();
    const v = new Violations();
    for (const events of rides.values()) {
      const assigned = events.map(rideValue).find((e): e is DriverAssigned => e.event_type === 'driver_assigned');
      for (const e of events.map(rideValue)) {
        if (e.event_type === 'ride_requested') continue;
        if (e.event_type === 'ride_cancelled' && !assigned) {
          v.same(e.driver_id, undefined, () => `${e.ride_id} cancelled before assignment`);
          continue;
        }
        v.same(e.driver_id, assigned?.driver_id, () => `${e.ride_id} ${e.event_type} driver`);
        v.same(e.vehicle_id, assigned?.vehicle_id, () => `${e.ride_id} ${e.event_type} vehicle`);
      }
      if (assigned) {
        const known = vehicleOf.get(assigned.driver_id);
        if (known !== undefined) v.same(assigned.vehicle_id, known, () => `${assigned.driver_id}'s vehicle`);
        vehicleOf.set(assigned.driver_id, assigned.vehicle_id);
      }
    }
    v.assertNone();
  });

  it("prices a completed ride by its city's rate card × distance and duration × the surge quoted at assignment", () => {
    const v = new Violations();
    let surged = 0;
    let completed = 0;
    for (const events of rides.values()) {
      const values = events.map(rideValue);
      const done = values.find((e): e is RideCompleted => e.event_type === 'ride_completed');
      if (!done) continue;
      completed++;
      const assigned = values.find((e): e is DriverAssigned => e.event_type === 'driver_assigned')!;
      const card = cityOf(done.city).rateCard;
      const surge = assigned.surge_multiplier!;
      const base = cents(card.base);
      const distance = cents(card.perKm * done.distance_km);
      const time = cents((card.perMinute * done.duration_s) / 60);
      const total = Math.max(cents(card.minimum), cents((base + distance + time) * surge));
      const expected = { base, distance, time, surge_multiplier: surge, total, currency: cityOf(done.city).currency };
      v.same(JSON.stringify(done.fare), JSON.stringify(expected), () => `${done.ride_id} fare`);
      if (surge > 1) surged++;
    }
    v.assertNone();
    expect(completed).toBeGreaterThan(1_000);
    // The surge factor must actually be exercised, not only its neutral value.
    expect(surged).toBeGreaterThan(50);
  });

  it('bills the trip that was driven: duration is the time from start to completion, distance at least the straight line', () => {
    const v = new Violations();
    for (const events of rides.values()) {
      const values = events.map(rideValue);
      const done = values.find((e): e is RideCompleted => e.event_type === 'ride_completed');
      if (!done) continue;
      const started = values.find((e): e is RideStarted => e.event_type === 'ride_started')!;
      const requested = values.find((e): e is RideRequested => e.event_type === 'ride_requested')!;
      v.same(Date.parse(done.event_time) - Date.parse(started.event_time), done.duration_s * 1000, () => `${done.ride_id} duration`);
      const straight = haversineKm(requested.pickup.lat, requested.pickup.lon, requested.dropoff.lat, requested.dropoff.lon);
      // Streets are longer than the straight line (the simulation's road factor is at least 1.25).
      v.check(done.distance_km >= straight * 1.2 - 0.01, () => `${done.ride_id}: ${done.distance_km} km for ${straight.toFixed(2)} km as the crow flies`);
      v.same(JSON.stringify(done.location), JSON.stringify(requested.dropoff), () => `${done.ride_id} ends at its dropoff`);
    }
    v.assertNone();
  });

  it('quotes surge between 1 and 3 in steps of 0.1', () => {
    const v = new Violations();
    for (const p of stream) {
      const e = rideValue(p);
      if (e.event_type !== 'driver_assigned') continue;
      const surge = e.surge_multiplier ?? NaN;
      v.check(surge >= 1 && surge <= 3 && Math.abs(surge * 10 - Math.round(surge * 10)) < 1e-9, () => `${e.ride_id}: surge ${surge}`);
    }
    v.assertNone();
  });

  it('cancels with a valid party and a reason that fits the stage the ride had reached', () => {
    // Which party gives which reason, and at which stage (the last event before the cancellation).
    const allowed: Record<RideCancelled['reason'], { by: RideCancelled['cancelled_by']; after: string[] }> = {
      no_driver_found: { by: 'system', after: ['ride_requested'] },
      wait_too_long: { by: 'customer', after: ['ride_requested'] },
      changed_plans: { by: 'customer', after: ['ride_requested', 'driver_assigned'] },
      driver_too_far: { by: 'customer', after: ['driver_assigned'] },
      driver_unavailable: { by: 'driver', after: ['driver_assigned'] },
      customer_no_show: { by: 'driver', after: ['driver_arrived'] },
    };
    const seen = new Set<string>();
    const v = new Violations();
    for (const events of rides.values()) {
      const values = events.map(rideValue);
      const last = values.at(-1)!;
      if (last.event_type !== 'ride_cancelled') continue;
      const rule = allowed[last.reason];
      if (!rule) {
        v.check(false, () => `${last.ride_id}: unknown reason ${last.reason}`);
        continue;
      }
      v.same(last.cancelled_by, rule.by, () => `${last.ride_id} ${last.reason} cancelled by`);
      v.check(rule.after.includes(values.at(-2)!.event_type), () => `${last.ride_id} ${last.reason} after ${values.at(-2)!.event_type}`);
      seen.add(last.cancelled_by);
    }
    v.assertNone();
    expect([...seen].sort()).toEqual(['customer', 'driver', 'system']);
  });

  it('gives up on a ride no driver took after the dispatch timeout', () => {
    const v = new Violations();
    let timedOut = 0;
    for (const events of rides.values()) {
      const last = rideValue(events.at(-1)!);
      if (last.event_type === 'ride_cancelled' && last.reason === 'no_driver_found') {
        timedOut++;
        v.same(events.at(-1)!.timeMs - events[0]!.timeMs, 5 * 60_000, () => `${last.ride_id} waited`);
      }
    }
    v.assertNone();
    expect(timedOut).toBeGreaterThan(0);
  });
});

describe('people and vehicles', () => {
  it('rates only completed rides, after completion, each side rating the other', () => {
    const completed = new Map<string, { at: number; customer: string; driver: string }>();
    const v = new Violations();
    let ratings = 0;
    for (const p of stream) {
      const e = p.value as RideEvent | UserEvent;
      if (e.event_type === 'ride_completed') completed.set(e.ride_id, { at: p.timeMs, customer: e.customer_id, driver: e.driver_id });
      if (e.event_type !== 'rating_submitted') continue;
      ratings++;
      const r = e as RatingSubmitted;
      const ride = completed.get(r.ride_id);
      if (!ride) {
        v.check(false, () => `rating of ${r.ride_id}, which was not completed before`);
        continue;
      }
      v.check(p.timeMs >= ride.at, () => `${r.ride_id} rated before completion`);
      v.same(r.user_id, r.rater_id, () => `${r.ride_id} rating keyed by its rater`);
      const [rater, ratee] = r.rater_role === 'customer' ? [ride.customer, ride.driver] : [ride.driver, ride.customer];
      v.same(`${r.rater_id}→${r.ratee_id}`, `${rater}→${ratee}`, () => `${r.ride_id} ${r.rater_role} rating`);
      v.check(Number.isInteger(r.rating) && r.rating >= 1 && r.rating <= 5, () => `${r.ride_id}: rating ${r.rating}`);
    }
    v.assertNone();
    expect(ratings).toBeGreaterThan(500);
  });

  it('signs people up once, before they first appear', () => {
    const signedUp = new Set<string>();
    const v = new Violations();
    for (const p of stream) {
      const e = p.value;
      if (e.event_type === 'driver_signup' || e.event_type === 'customer_signup') {
        v.check(!signedUp.has(e.user_id), () => `${e.user_id} signed up twice`);
        signedUp.add(e.user_id);
      } else if (e.event_type === 'ride_requested') {
        v.check(signedUp.has(e.customer_id), () => `${e.customer_id} rode before signing up`);
      } else if (e.event_type === 'vehicle_online' || e.event_type === 'driver_assigned') {
        v.check(signedUp.has(e.driver_id), () => `${e.driver_id} drove before signing up`);
      }
    }
    v.assertNone();
  });

  it("reports each vehicle's status as its driver's ride says: en route, on trip, available, offline", () => {
    const stage = new Map<string, 'en_route' | 'on_trip'>();
    const online = new Set<string>();
    const v = new Violations();
    let pings = 0;
    for (const p of stream) {
      const e = p.value as RideEvent | VehicleEvent;
      switch (e.event_type) {
        case 'driver_assigned':
          stage.set(e.driver_id, 'en_route');
          break;
        case 'ride_started':
          stage.set(e.driver_id, 'on_trip');
          break;
        case 'ride_completed':
        case 'ride_cancelled':
          if (e.driver_id !== undefined) stage.delete(e.driver_id);
          break;
        case 'vehicle_online':
          v.check(!online.has(e.vehicle_id), () => `${e.vehicle_id} came online twice`);
          online.add(e.vehicle_id);
          v.same(e.status, 'available', () => `${e.vehicle_id} online`);
          break;
        case 'vehicle_offline':
          v.check(online.delete(e.vehicle_id), () => `${e.vehicle_id} went offline without being online`);
          v.check(!stage.has(e.driver_id), () => `${e.driver_id} went offline during a ride`);
          v.same(e.status, 'offline', () => `${e.vehicle_id} offline`);
          break;
        case 'vehicle_location':
          pings++;
          v.check(online.has(e.vehicle_id), () => `${e.vehicle_id} pinged while offline`);
          v.same(e.status, stage.get(e.driver_id) ?? 'available', () => `${e.vehicle_id} at ${e.event_time}`);
          break;
        default:
          break;
      }
    }
    v.assertNone();
    expect(pings).toBeGreaterThan(10_000);
  });

  it('keeps every position within reach of its city', () => {
    const v = new Violations();
    for (const p of stream) {
      const e = p.value as { city: string; location?: { lat: number; lon: number } };
      if (!e.location) continue;
      const city = cityOf(e.city);
      const km = haversineKm(city.center.lat, city.center.lon, e.location.lat, e.location.lon);
      v.check(km < city.radiusKm * 1.6, () => `${p.value.event_type} in ${e.city} ${km.toFixed(1)} km from the centre`);
    }
    v.assertNone();
  });
});
