import type { EnrichedRide } from '../contract/generated/enriched_rides.js';
import type { FinishedRide } from './lifecycle.js';
import { localTime } from './time-zones.js';
import type { Point } from './zones.js';
import { round } from './metrics.js';

/** Builds the one enriched record of a finished ride. Pure. */
export const ENRICHED_SCHEMA_VERSION = 1;

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance: the shortest a trip between two points can be. */
export function haversineKm(a: Point, b: Point): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** fare / km; null rather than Infinity or NaN when there is no fare or no distance. */
export function costPerKm(fareTotal: number | null, distanceKm: number | null): number | null {
  if (fareTotal === null || distanceKm === null || !(distanceKm > 0)) return null;
  return round(fareTotal / distanceKm, 4);
}

/** fare / minute of trip; null rather than Infinity or NaN when there is no fare or no duration. */
export function costPerMinute(fareTotal: number | null, tripDurationS: number | null): number | null {
  if (fareTotal === null || tripDurationS === null || !(tripDurationS > 0)) return null;
  return round(fareTotal / (tripDurationS / 60), 4);
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function enrichRide(ride: FinishedRide, timeZone: string): EnrichedRide {
  const completed = ride.status === 'completed' ? ride.completion : null;
  const cancelled = ride.status === 'cancelled' ? ride.cancellation : null;
  // The ride_completed schema requires distance_km, so only cancelled rides lack one: for them the
  // planned pickup → drop-off distance is the best available, and distance_source says so.
  const distanceKm = completed ? completed.distance_km : round(haversineKm(ride.pickup, ride.dropoff), 3);
  const waitS = ride.arrivedAtMs === null ? null : (ride.arrivedAtMs - ride.requestedAtMs) / 1000;
  const tripS = completed && ride.startedAtMs !== null ? (ride.endedAtMs - ride.startedAtMs) / 1000 : null;
  const fareTotal = completed ? completed.fare.total : null;
  const local = localTime(ride.requestedAtMs, timeZone);
  const endedAt = new Date(ride.endedAtMs).toISOString();
  return {
    ride_id: ride.rideId,
    city: ride.city,
    customer_id: ride.customerId,
    driver_id: ride.driverId,
    vehicle_id: ride.vehicleId,
    status: ride.status,
    cancelled_by: cancelled ? cancelled.cancelled_by : null,
    cancel_reason: cancelled ? cancelled.reason : null,
    pickup: ride.pickup,
    dropoff: ride.dropoff,
    pickup_zone: ride.pickupZone,
    dropoff_zone: ride.dropoffZone,
    requested_at: new Date(ride.requestedAtMs).toISOString(),
    assigned_at: iso(ride.assignedAtMs),
    arrived_at: iso(ride.arrivedAtMs),
    started_at: iso(ride.startedAtMs),
    completed_at: completed ? endedAt : null,
    cancelled_at: cancelled ? endedAt : null,
    ended_at: endedAt,
    wait_time_s: waitS,
    trip_duration_s: tripS,
    distance_km: distanceKm,
    distance_source: completed ? 'reported' : 'haversine',
    fare_base: completed ? completed.fare.base : null,
    fare_distance: completed ? completed.fare.distance : null,
    fare_time: completed ? completed.fare.time : null,
    fare_total: fareTotal,
    currency: completed ? completed.fare.currency : null,
    surge_multiplier: completed ? completed.fare.surge_multiplier : ride.quotedSurge,
    cost_per_km: costPerKm(fareTotal, distanceKm),
    cost_per_minute: costPerMinute(fareTotal, tripS),
    payment_method: completed ? completed.payment_method : null,
    time_zone: timeZone,
    local_date: local.date,
    hour_of_day: local.hour,
    weekday: local.weekday,
    event_time: endedAt,
    revision: 0,
    schema_version: ENRICHED_SCHEMA_VERSION,
  };
}
