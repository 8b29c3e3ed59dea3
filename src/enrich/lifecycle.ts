import type { RideEvent, RideCompleted, RideCancelled } from '../contract/generated/ride_events.js';
import type { Contribution } from './windows.js';
import type { Point, ZoneOf } from './zones.js';

/**
 * The ride join: one ride's events, in lifecycle order, folded into one state until the ride ends.
 * Pure: each call returns a new state (or the finished ride, after which the caller forgets the
 * ride), and what the step adds to the window of its event time.
 *
 *   ride_requested → driver_assigned → driver_arrived → ride_started → ride_completed
 *          └──────────────┴──────────────────┴──→ ride_cancelled (any time before ride_started)
 *
 * A step that does not follow (wrong order, unknown ride, a different driver, time going
 * backwards) is impossible data and is refused with a reason; the ride's state is left as it was.
 */
export type RideStage = 'requested' | 'assigned' | 'arrived' | 'started';

export interface OpenRide {
  rideId: string;
  city: string;
  customerId: string;
  stage: RideStage;
  driverId: string | null;
  vehicleId: string | null;
  pickup: Point;
  dropoff: Point;
  pickupZone: string;
  dropoffZone: string;
  requestedAtMs: number;
  assignedAtMs: number | null;
  arrivedAtMs: number | null;
  startedAtMs: number | null;
  /** Surge quoted at assignment; the completed fare carries the one applied. */
  quotedSurge: number | null;
  lastEventMs: number;
  /** Events absorbed so far: the accounting counts them as open until the ride ends. */
  eventCount: number;
}

export type FinishedRide = OpenRide & {
  endedAtMs: number;
} & (
    | { status: 'completed'; completion: Pick<RideCompleted, 'distance_km' | 'duration_s' | 'fare' | 'payment_method'> }
    | { status: 'cancelled'; cancellation: Pick<RideCancelled, 'cancelled_by' | 'reason'> }
  );

export type RideStep =
  | { kind: 'opened'; ride: OpenRide; contribution: Contribution }
  | { kind: 'advanced'; ride: OpenRide; contribution: Contribution | null }
  | { kind: 'finished'; ride: FinishedRide; contribution: Contribution }
  | { kind: 'rejected'; reason: string };

const NEXT_STAGE: Record<string, { from: RideStage; to: RideStage } | undefined> = {
  driver_assigned: { from: 'requested', to: 'assigned' },
  driver_arrived: { from: 'assigned', to: 'arrived' },
  ride_started: { from: 'arrived', to: 'started' },
};

export function applyRideEvent(ride: OpenRide | undefined, event: RideEvent, eventTimeMs: number, zoneOf: ZoneOf): RideStep {
  if (event.event_type === 'ride_requested') {
    if (ride) return reject(`lifecycle: ride_requested for ${event.ride_id}, which is already ${ride.stage}`);
    const opened: OpenRide = {
      rideId: event.ride_id,
      city: event.city,
      customerId: event.customer_id,
      stage: 'requested',
      driverId: null,
      vehicleId: null,
      pickup: event.pickup,
      dropoff: event.dropoff,
      pickupZone: zoneOf(event.pickup),
      dropoffZone: zoneOf(event.dropoff),
      requestedAtMs: eventTimeMs,
      assignedAtMs: null,
      arrivedAtMs: null,
      startedAtMs: null,
      quotedSurge: null,
      lastEventMs: eventTimeMs,
      eventCount: 1,
    };
    return { kind: 'opened', ride: opened, contribution: { step: 'requested' } };
  }

  if (!ride) return reject(`lifecycle: ${event.event_type} for ${event.ride_id} without its ride_requested`);
  const mismatch = inconsistency(ride, event, eventTimeMs);
  if (mismatch) return reject(`lifecycle: ${event.event_type} for ${event.ride_id}: ${mismatch}`);
  const absorbed = { lastEventMs: eventTimeMs, eventCount: ride.eventCount + 1 };

  switch (event.event_type) {
    case 'driver_assigned':
    case 'driver_arrived':
    case 'ride_started': {
      const transition = NEXT_STAGE[event.event_type];
      if (!transition || ride.stage !== transition.from) {
        return reject(`lifecycle: ${event.event_type} for ${event.ride_id} while it is ${ride.stage}`);
      }
      if (event.event_type === 'driver_assigned') {
        return {
          kind: 'advanced',
          ride: {
            ...ride, ...absorbed, stage: 'assigned', driverId: event.driver_id, vehicleId: event.vehicle_id,
            assignedAtMs: eventTimeMs, quotedSurge: event.surge_multiplier ?? null,
          },
          contribution: null,
        };
      }
      if (event.event_type === 'driver_arrived') {
        const waitS = (eventTimeMs - ride.requestedAtMs) / 1000;
        return { kind: 'advanced', ride: { ...ride, ...absorbed, stage: 'arrived', arrivedAtMs: eventTimeMs }, contribution: { step: 'arrived', waitS } };
      }
      return { kind: 'advanced', ride: { ...ride, ...absorbed, stage: 'started', startedAtMs: eventTimeMs }, contribution: null };
    }
    case 'ride_completed': {
      if (ride.stage !== 'started') return reject(`lifecycle: ride_completed for ${event.ride_id} while it is ${ride.stage}`);
      const tripS = ride.startedAtMs === null ? null : (eventTimeMs - ride.startedAtMs) / 1000;
      return {
        kind: 'finished',
        ride: {
          ...ride, ...absorbed, endedAtMs: eventTimeMs, status: 'completed',
          completion: { distance_km: event.distance_km, duration_s: event.duration_s, fare: event.fare, payment_method: event.payment_method },
        },
        contribution: { step: 'completed', fare: event.fare.total, currency: event.fare.currency, tripS, surge: event.fare.surge_multiplier },
      };
    }
    case 'ride_cancelled': {
      if (ride.stage === 'started') return reject(`lifecycle: ride_cancelled for ${event.ride_id} after ride_started`);
      return {
        kind: 'finished',
        ride: {
          ...ride, ...absorbed, endedAtMs: eventTimeMs, status: 'cancelled',
          driverId: ride.driverId ?? event.driver_id ?? null,
          vehicleId: ride.vehicleId ?? event.vehicle_id ?? null,
          cancellation: { cancelled_by: event.cancelled_by, reason: event.reason },
        },
        contribution: { step: 'cancelled' },
      };
    }
  }
}

function inconsistency(ride: OpenRide, event: Exclude<RideEvent, { event_type: 'ride_requested' }>, eventTimeMs: number): string | undefined {
  if (event.city !== ride.city) return `city ${event.city} differs from the ride's ${ride.city}`;
  if (event.customer_id !== ride.customerId) return `customer ${event.customer_id} differs from the ride's ${ride.customerId}`;
  if (eventTimeMs < ride.lastEventMs) {
    return `event_time ${new Date(eventTimeMs).toISOString()} is before the ride's previous step at ${new Date(ride.lastEventMs).toISOString()}`;
  }
  const driverId = 'driver_id' in event ? event.driver_id : undefined;
  if (ride.driverId !== null && driverId !== undefined && driverId !== ride.driverId) {
    return `driver ${driverId} differs from the assigned ${ride.driverId}`;
  }
  return undefined;
}

function reject(reason: string): RideStep {
  return { kind: 'rejected', reason };
}
