import type { EnrichedRide } from '../../../src/contract/generated/enriched_rides.js';

/**
 * A small, deterministic world of contract-valid events for the warehouse tests and the bench:
 * signups with recognisable personal data (so a scan can prove none of it was stored), vehicle
 * events, ride lifecycles, ratings, and the enriched ride enrich would write for each ride.
 */
export interface Line {
  topic: string;
  key: string;
  value: Record<string, unknown>;
}

export interface World {
  lines: Line[];
  enriched: EnrichedRide[];
  /** Clear personal values that must never appear in the warehouse. */
  pii: string[];
}

export interface WorldOptions {
  rides: number;
  drivers?: number;
  customers?: number;
  /** Location pings per ride: the bulk of real traffic. */
  pingsPerRide?: number;
  startMs?: number;
  city?: string;
  timeZone?: string;
}

const round2 = (v: number): number => Math.round((v + Number.EPSILON * Math.max(1, Math.abs(v))) * 100) / 100;
const iso = (ms: number): string => new Date(ms).toISOString();

let uuidCounter = 0;
export function fixtureUuid(): string {
  uuidCounter += 1;
  return `00000000-0000-4000-8000-${uuidCounter.toString(16).padStart(12, '0')}`;
}

/** A tiny linear congruential generator: same seed, same world. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export function customerPii(i: number): { name: string; phone: string; email: string } {
  return { name: `Zelda Quixote${i}`, phone: `+1 212 555 ${String(1000 + i)}`, email: `zelda.quixote${i}@example.org` };
}

export function driverPii(i: number): { name: string; phone: string; email: string; license: string; plate: string } {
  return {
    name: `Bartholomew Ypsilanti${i}`,
    phone: `+1 917 444 ${String(2000 + i)}`,
    email: `bart.ypsilanti${i}@example.net`,
    license: `LIC-ZX-${String(90000 + i)}`,
    plate: `PLT${String(7000 + i)}Q`,
  };
}

export function localParts(ms: number, timeZone: string): { date: string; hour: number; weekday: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23', weekday: 'short' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const weekdays: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
  return { date: `${parts['year']}-${parts['month']}-${parts['day']}`, hour: Number(parts['hour']), weekday: weekdays[String(parts['weekday'])] ?? 1 };
}

export function buildWorld(options: WorldOptions): World {
  const random = rng(42);
  const city = options.city ?? 'nyc';
  const timeZone = options.timeZone ?? 'America/New_York';
  const start = options.startMs ?? Date.parse('2026-03-02T12:00:00.000Z');
  const driverCount = options.drivers ?? Math.max(2, Math.ceil(options.rides / 10));
  const customerCount = options.customers ?? Math.max(2, Math.ceil(options.rides / 3));
  const pings = options.pingsPerRide ?? 2;
  const lines: Line[] = [];
  const enriched: EnrichedRide[] = [];
  const pii: string[] = [];
  const point = (): { lat: number; lon: number } => ({ lat: round6(40.7 + random() * 0.1), lon: round6(-74 + random() * 0.1) });

  for (let i = 1; i <= customerCount; i++) {
    const p = customerPii(i);
    pii.push(p.name, p.phone, p.email);
    lines.push({
      topic: 'user_events',
      key: `cus_${i}`,
      value: {
        event_id: fixtureUuid(), event_type: 'customer_signup', event_time: iso(start - 86_400_000 + i * 1000), schema_version: 1, city,
        user_id: `cus_${i}`, profile: { name: p.name, phone: p.phone, email: p.email, preferred_payment: 'card' },
      },
    });
  }
  for (let i = 1; i <= driverCount; i++) {
    const p = driverPii(i);
    pii.push(p.name, p.phone, p.email, p.license, p.plate);
    lines.push({
      topic: 'user_events',
      key: `drv_${i}`,
      value: {
        event_id: fixtureUuid(), event_type: 'driver_signup', event_time: iso(start - 86_400_000 + i * 1000), schema_version: 1, city,
        user_id: `drv_${i}`,
        profile: {
          name: p.name, phone: p.phone, email: p.email, license_number: p.license,
          vehicle: { vehicle_id: `veh_${i}`, make: 'Toyota', model: 'Prius', year: 2020, color: 'white', plate: p.plate, seats: 4 },
        },
      },
    });
    lines.push({
      topic: 'vehicle_events',
      key: `veh_${i}`,
      value: {
        event_id: fixtureUuid(), event_type: 'vehicle_online', event_time: iso(start - 60_000 + i), schema_version: 1, city,
        vehicle_id: `veh_${i}`, driver_id: `drv_${i}`, status: 'available', location: point(),
      },
    });
  }

  const rateCard = { base: 2.55, perKm: 1.09, perMinute: 0.35, minimum: 8 };
  for (let r = 1; r <= options.rides; r++) {
    const rideId = `ride_${r.toString(36)}`;
    const customer = `cus_${1 + (r % customerCount)}`;
    const d = 1 + (r % driverCount);
    const driver = `drv_${d}`;
    const vehicle = `veh_${d}`;
    const requested = start + r * 7_000 + Math.floor(random() * 5_000);
    const assigned = requested + 2_000 + Math.floor(random() * 20_000);
    const arrived = assigned + 30_000 + Math.floor(random() * 300_000);
    const pickup = point();
    const dropoff = point();
    const base = { schema_version: 1, city, ride_id: rideId, customer_id: customer };
    lines.push({ topic: 'ride_events', key: rideId, value: { ...base, event_id: fixtureUuid(), event_type: 'ride_requested', event_time: iso(requested), location: pickup, pickup, dropoff } });
    const cancelledEarly = r % 7 === 0;
    const surge = r % 5 === 0 ? 1.5 : 1;
    if (cancelledEarly) {
      const cancelled = requested + 45_000;
      lines.push({ topic: 'ride_events', key: rideId, value: { ...base, event_id: fixtureUuid(), event_type: 'ride_cancelled', event_time: iso(cancelled), location: pickup, cancelled_by: 'customer', reason: 'changed_plans' } });
      enriched.push(enrichedRide({
        rideId, city, customer, driver: null, vehicle: null, pickup, dropoff, timeZone, requested, assigned: null, arrived: null, started: null,
        ended: cancelled, status: 'cancelled', surge: null, fare: null, distanceKm: 3.21,
      }));
      continue;
    }
    lines.push({ topic: 'ride_events', key: rideId, value: { ...base, event_id: fixtureUuid(), event_type: 'driver_assigned', event_time: iso(assigned), driver_id: driver, vehicle_id: vehicle, location: point(), eta_s: 120, surge_multiplier: surge } });
    lines.push({ topic: 'ride_events', key: rideId, value: { ...base, event_id: fixtureUuid(), event_type: 'driver_arrived', event_time: iso(arrived), driver_id: driver, vehicle_id: vehicle, location: pickup } });
    const started = arrived + 60_000;
    const durationS = 300 + Math.floor(random() * 1200);
    const completed = started + durationS * 1000;
    const distanceKm = Math.round((1 + random() * 10) * 1000) / 1000;
    const fareBase = round2(rateCard.base);
    const fareDistance = round2(rateCard.perKm * distanceKm);
    const fareTime = round2((rateCard.perMinute * durationS) / 60);
    const total = Math.max(rateCard.minimum, round2((fareBase + fareDistance + fareTime) * surge));
    const fare = { base: fareBase, distance: fareDistance, time: fareTime, surge_multiplier: surge, total, currency: 'USD' };
    lines.push({ topic: 'ride_events', key: rideId, value: { ...base, event_id: fixtureUuid(), event_type: 'ride_started', event_time: iso(started), driver_id: driver, vehicle_id: vehicle, location: pickup } });
    for (let k = 0; k < pings; k++) {
      lines.push({
        topic: 'vehicle_events', key: vehicle,
        value: {
          event_id: fixtureUuid(), event_type: 'vehicle_location', event_time: iso(started + (k + 1) * 10_000), schema_version: 1, city,
          vehicle_id: vehicle, driver_id: driver, status: 'on_trip', location: point(), heading: 90, speed_kmh: 30,
        },
      });
    }
    lines.push({ topic: 'ride_events', key: rideId, value: { ...base, event_id: fixtureUuid(), event_type: 'ride_completed', event_time: iso(completed), driver_id: driver, vehicle_id: vehicle, location: dropoff, distance_km: distanceKm, duration_s: durationS, fare, payment_method: 'card' } });
    lines.push({
      topic: 'user_events', key: customer,
      value: {
        event_id: fixtureUuid(), event_type: 'rating_submitted', event_time: iso(completed + 30_000), schema_version: 1, city,
        user_id: customer, ride_id: rideId, rater_id: customer, ratee_id: driver, rater_role: 'customer', rating: r % 4 === 0 ? 3 : 5,
      },
    });
    enriched.push(enrichedRide({
      rideId, city, customer, driver, vehicle, pickup, dropoff, timeZone, requested, assigned, arrived, started, ended: completed,
      status: 'completed', surge, fare, distanceKm,
    }));
  }
  for (const e of enriched) lines.push({ topic: 'enriched_rides', key: e.ride_id, value: e as unknown as Record<string, unknown> });
  return { lines, enriched, pii };
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

export interface RideSpec {
  rideId: string;
  city: string;
  customer: string;
  driver: string | null;
  vehicle: string | null;
  pickup: { lat: number; lon: number };
  dropoff: { lat: number; lon: number };
  timeZone: string;
  requested: number;
  assigned: number | null;
  arrived: number | null;
  started: number | null;
  ended: number;
  status: 'completed' | 'cancelled';
  surge: number | null;
  fare: { base: number; distance: number; time: number; total: number; currency: string } | null;
  distanceKm: number;
  revision?: number;
}

/** The record enrich writes for a finished ride (see src/enrich/enrichment.ts). */
export function enrichedRide(s: RideSpec): EnrichedRide {
  const completed = s.status === 'completed';
  const local = localParts(s.requested, s.timeZone);
  const tripS = completed && s.started !== null ? (s.ended - s.started) / 1000 : null;
  const fareTotal = completed && s.fare ? s.fare.total : null;
  return {
    ride_id: s.rideId, city: s.city, customer_id: s.customer, driver_id: s.driver, vehicle_id: s.vehicle, status: s.status,
    cancelled_by: completed ? null : 'customer', cancel_reason: completed ? null : 'changed_plans',
    pickup: s.pickup, dropoff: s.dropoff, pickup_zone: '882a100d65fffff', dropoff_zone: '882a100d67fffff',
    requested_at: iso(s.requested), assigned_at: s.assigned === null ? null : iso(s.assigned), arrived_at: s.arrived === null ? null : iso(s.arrived),
    started_at: s.started === null ? null : iso(s.started), completed_at: completed ? iso(s.ended) : null, cancelled_at: completed ? null : iso(s.ended),
    ended_at: iso(s.ended),
    wait_time_s: s.arrived === null ? null : (s.arrived - s.requested) / 1000,
    trip_duration_s: tripS,
    distance_km: s.distanceKm, distance_source: completed ? 'reported' : 'haversine',
    fare_base: completed && s.fare ? s.fare.base : null, fare_distance: completed && s.fare ? s.fare.distance : null,
    fare_time: completed && s.fare ? s.fare.time : null, fare_total: fareTotal, currency: completed && s.fare ? s.fare.currency : null,
    surge_multiplier: s.surge,
    cost_per_km: fareTotal !== null && s.distanceKm > 0 ? Math.round((fareTotal / s.distanceKm) * 1e4) / 1e4 : null,
    cost_per_minute: fareTotal !== null && tripS ? Math.round((fareTotal / (tripS / 60)) * 1e4) / 1e4 : null,
    payment_method: completed ? 'card' : null,
    time_zone: s.timeZone, local_date: local.date, hour_of_day: local.hour, weekday: local.weekday,
    event_time: iso(s.ended), revision: s.revision ?? 0, schema_version: 1,
  };
}

export function toJsonLines(lines: readonly Line[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}
