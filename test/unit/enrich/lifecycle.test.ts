import { describe, expect, it } from 'vitest';
import { applyRideEvent, type OpenRide, type RideStep } from '../../../src/enrich/lifecycle.js';
import type { RideEvent } from '../../../src/contract/generated/ride_events.js';
import { completedRide, rideEvents, sec, T0 } from './factories.js';

const zoneOf = (): string => '882a100d2dfffff';

/** Folds events into one ride the way the processor does, stopping at the first refusal. */
function fold(events: RideEvent[]): { ride: OpenRide | undefined; steps: RideStep[] } {
  let ride: OpenRide | undefined;
  const steps: RideStep[] = [];
  for (const event of events) {
    const step = applyRideEvent(ride, event, Date.parse(event.event_time), zoneOf);
    steps.push(step);
    if (step.kind === 'opened' || step.kind === 'advanced') ride = step.ride;
    if (step.kind === 'finished') ride = undefined;
    if (step.kind === 'rejected') break;
  }
  return { ride, steps };
}

describe('the ride lifecycle join', () => {
  it('a ride that goes through every step finishes once, with its fare and the times of every step', () => {
    const { ride, steps } = fold(completedRide(T0, { fareTotal: 31.5 }));
    expect(steps.map((s) => s.kind)).toEqual(['opened', 'advanced', 'advanced', 'advanced', 'finished']);
    const last = steps.at(-1);
    if (last?.kind !== 'finished' || last.ride.status !== 'completed') throw new Error('expected a completed ride');
    expect(last.ride.completion.fare.total).toBe(31.5);
    expect(last.ride.requestedAtMs).toBe(T0);
    expect(last.ride.arrivedAtMs).toBe(T0 + sec(180));
    expect(last.ride.eventCount).toBe(5);
    expect(ride).toBeUndefined();
  });

  it('a ride that is cancelled before assignment finishes with no driver and no vehicle', () => {
    const { steps } = fold(rideEvents({ requestedAt: T0, cancelledAt: T0 + sec(60) }));
    const last = steps.at(-1);
    if (last?.kind !== 'finished') throw new Error('expected a finished ride');
    expect(last.ride.status).toBe('cancelled');
    expect(last.ride.driverId).toBeNull();
    expect(last.ride.vehicleId).toBeNull();
    expect(last.contribution).toEqual({ step: 'cancelled' });
  });

  it('a ride cancelled after assignment keeps the driver it had', () => {
    const { steps } = fold(rideEvents({ requestedAt: T0, assignedAt: T0 + sec(20), cancelledAt: T0 + sec(60), driverId: 'drv_a1', vehicleId: 'veh_a1' }));
    const last = steps.at(-1);
    if (last?.kind !== 'finished') throw new Error('expected a finished ride');
    expect(last.ride.driverId).toBe('drv_a1');
    expect(last.ride.vehicleId).toBe('veh_a1');
  });

  it('a driver arriving contributes the wait since the request to the window of the arrival', () => {
    const { steps } = fold(completedRide(T0));
    expect(steps[2]).toMatchObject({ kind: 'advanced', contribution: { step: 'arrived', waitS: 180 } });
  });

  it('a step out of order is refused and leaves the ride as it was', () => {
    const [requested, , , started] = completedRide(T0);
    const { ride, steps } = fold([requested!, started!]);
    expect(steps[1]).toEqual({ kind: 'rejected', reason: expect.stringMatching(/ride_started .* while it is requested/) });
    expect(ride?.stage).toBe('requested');
  });

  it('a step for a ride that was never requested is refused', () => {
    const [, assigned] = completedRide(T0);
    expect(fold([assigned!]).steps[0]).toEqual({ kind: 'rejected', reason: expect.stringMatching(/without its ride_requested/) });
  });

  it('a second request for an open ride is refused', () => {
    const [requested] = completedRide(T0);
    expect(fold([requested!, { ...requested!, event_id: 'another' }]).steps[1]?.kind).toBe('rejected');
  });

  it('a step whose event time is before the previous step is refused', () => {
    const events = rideEvents({ requestedAt: T0, assignedAt: T0 - sec(5) });
    expect(fold(events).steps[1]).toEqual({ kind: 'rejected', reason: expect.stringMatching(/is before the ride's previous step/) });
  });

  it('a step by another driver than the one assigned is refused', () => {
    const events = completedRide(T0, { driverId: 'drv_one' });
    const arrived = events[2] as Extract<RideEvent, { event_type: 'driver_arrived' }>;
    events[2] = { ...arrived, driver_id: 'drv_two' };
    expect(fold(events).steps[2]).toEqual({ kind: 'rejected', reason: expect.stringMatching(/driver drv_two differs/) });
  });

  it('cancelling a ride that has started is refused', () => {
    const events = rideEvents({ requestedAt: T0, assignedAt: T0 + sec(10), arrivedAt: T0 + sec(20), startedAt: T0 + sec(30), cancelledAt: T0 + sec(40) });
    expect(fold(events).steps.at(-1)).toEqual({ kind: 'rejected', reason: expect.stringMatching(/after ride_started/) });
  });
});
