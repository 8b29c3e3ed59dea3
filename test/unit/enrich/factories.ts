import { randomUUID } from 'node:crypto';
import type { RideEvent } from '../../../src/contract/generated/ride_events.js';
import type { VehicleEvent } from '../../../src/contract/generated/vehicle_events.js';
import type { UserEvent } from '../../../src/contract/generated/user_events.js';
import type { SourceRecord } from '../../../src/enrich/records.js';
import { defaultSettings, type EnrichSettings } from '../../../src/enrich/settings.js';

/** Small factories for the enrich tests: events that pass the schemas unless told otherwise. */
export const T0 = Date.parse('2026-01-05T08:00:00.000Z');
export const iso = (ms: number): string => new Date(ms).toISOString();
export const sec = (s: number): number => s * 1000;

export const NYC_PICKUP = { lat: 40.7580, lon: -73.9855 };
export const NYC_DROPOFF = { lat: 40.7128, lon: -74.0060 };
export const LON_PICKUP = { lat: 51.5072, lon: -0.1276 };
export const LON_DROPOFF = { lat: 51.5155, lon: -0.0922 };

export interface RidePlan {
  rideId?: string;
  city?: string;
  customerId?: string;
  driverId?: string;
  vehicleId?: string;
  pickup?: { lat: number; lon: number };
  dropoff?: { lat: number; lon: number };
  requestedAt: number;
  /** Absent steps are not generated; `cancelledAt` ends the ride early. */
  assignedAt?: number;
  arrivedAt?: number;
  startedAt?: number;
  completedAt?: number;
  cancelledAt?: number;
  fareTotal?: number;
  distanceKm?: number;
  surge?: number;
  currency?: string;
}

let counter = 0;
const nextId = (prefix: string): string => `${prefix}_${(++counter).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export function rideEvents(plan: RidePlan): RideEvent[] {
  const rideId = plan.rideId ?? nextId('ride');
  const city = plan.city ?? 'nyc';
  const customerId = plan.customerId ?? nextId('cus');
  const driverId = plan.driverId ?? nextId('drv');
  const vehicleId = plan.vehicleId ?? nextId('veh');
  const pickup = plan.pickup ?? (city === 'lon' ? LON_PICKUP : NYC_PICKUP);
  const dropoff = plan.dropoff ?? (city === 'lon' ? LON_DROPOFF : NYC_DROPOFF);
  const base = (type: string, at: number) => ({
    event_id: randomUUID(), event_type: type, event_time: iso(at), schema_version: 1, city, ride_id: rideId, customer_id: customerId,
  });
  const events: RideEvent[] = [
    { ...base('ride_requested', plan.requestedAt), event_type: 'ride_requested', location: pickup, pickup, dropoff, product: 'standard' },
  ];
  const surge = plan.surge ?? 1;
  if (plan.assignedAt !== undefined) {
    events.push({ ...base('driver_assigned', plan.assignedAt), event_type: 'driver_assigned', driver_id: driverId, vehicle_id: vehicleId, location: pickup, eta_s: 120, surge_multiplier: surge });
  }
  if (plan.arrivedAt !== undefined) {
    events.push({ ...base('driver_arrived', plan.arrivedAt), event_type: 'driver_arrived', driver_id: driverId, vehicle_id: vehicleId, location: pickup });
  }
  if (plan.startedAt !== undefined) {
    events.push({ ...base('ride_started', plan.startedAt), event_type: 'ride_started', driver_id: driverId, vehicle_id: vehicleId, location: pickup });
  }
  if (plan.completedAt !== undefined) {
    const total = plan.fareTotal ?? 20;
    events.push({
      ...base('ride_completed', plan.completedAt), event_type: 'ride_completed', driver_id: driverId, vehicle_id: vehicleId, location: dropoff,
      distance_km: plan.distanceKm ?? 5, duration_s: Math.round(((plan.completedAt ?? 0) - (plan.startedAt ?? 0)) / 1000),
      fare: { base: 2.5, distance: 5, time: 3, surge_multiplier: surge, total, currency: plan.currency ?? (city === 'lon' ? 'GBP' : 'USD') },
      payment_method: 'card',
    });
  }
  if (plan.cancelledAt !== undefined) {
    const assigned = plan.assignedAt !== undefined;
    events.push({
      ...base('ride_cancelled', plan.cancelledAt), event_type: 'ride_cancelled', location: pickup,
      ...(assigned ? { driver_id: driverId, vehicle_id: vehicleId } : {}),
      cancelled_by: 'customer', reason: 'changed_plans',
    });
  }
  return events;
}

/** A complete ride starting at `t`: assigned +30 s, arrived +3 min, started +4 min, completed +15 min. */
export function completedRide(t: number, overrides: Partial<RidePlan> = {}): RideEvent[] {
  return rideEvents({ requestedAt: t, assignedAt: t + sec(30), arrivedAt: t + sec(180), startedAt: t + sec(240), completedAt: t + sec(900), ...overrides });
}

export function vehicleEvent(opts: {
  vehicleId: string; at: number; status: VehicleEvent['status']; city?: string; location?: { lat: number; lon: number };
  type?: VehicleEvent['event_type'];
}): VehicleEvent {
  return {
    event_id: randomUUID(),
    event_type: opts.type ?? (opts.status === 'offline' ? 'vehicle_offline' : 'vehicle_location'),
    event_time: iso(opts.at),
    schema_version: 1,
    city: opts.city ?? 'nyc',
    vehicle_id: opts.vehicleId,
    driver_id: `drv_${opts.vehicleId.slice(4)}`,
    status: opts.status,
    location: opts.location ?? NYC_PICKUP,
  };
}

export function userEvent(at: number, city = 'nyc'): UserEvent {
  return {
    event_id: randomUUID(), event_type: 'customer_signup', event_time: iso(at), schema_version: 1, city,
    user_id: nextId('cus'), profile: { name: 'Ada Lovelace', phone: '+1 555 0100', email: 'ada@example.com' },
  };
}

export function keyOf(event: RideEvent | VehicleEvent | UserEvent): string {
  if ('user_id' in event) return event.user_id;
  if ('ride_id' in event) return event.ride_id;
  return event.vehicle_id;
}

/** Records of one partition, offsets from `firstOffset`, values as JSON (or raw strings given as such). */
export function records(topic: string, values: (object | string)[], partition = 0, firstOffset = 0): SourceRecord[] {
  return values.map((value, i) => {
    const json = typeof value === 'string' ? value : JSON.stringify(value);
    const key = typeof value === 'string' ? null : keyOf(value as RideEvent);
    return { topic, partition, offset: firstOffset + i, key: key === null ? null : Buffer.from(key), value: Buffer.from(json), timestamp: 0 };
  });
}

export function testSettings(overrides: Partial<EnrichSettings> = {}): EnrichSettings {
  return defaultSettings({ windowMs: 60_000, allowedLatenessMs: 30_000, idleTimeoutMs: 5_000, maxFutureMs: 3_600_000, ...overrides });
}

/** Sorts events by event time, as a producer emitting them live would. */
export function byTime<E extends { event_time: string }>(events: E[]): E[] {
  return [...events].sort((a, b) => Date.parse(a.event_time) - Date.parse(b.event_time));
}
