import { describe, expect, it } from 'vitest';
import { costPerKm, costPerMinute, enrichRide, haversineKm } from '../../../src/enrich/enrichment.js';
import { applyRideEvent, type FinishedRide, type OpenRide } from '../../../src/enrich/lifecycle.js';
import { localTime, timeZoneLookup } from '../../../src/enrich/time-zones.js';
import { h3Zone } from '../../../src/enrich/zones.js';
import { validate } from '../../../src/contract/validate.js';
import type { RideEvent } from '../../../src/contract/generated/ride_events.js';
import { completedRide, NYC_DROPOFF, NYC_PICKUP, rideEvents, sec, T0 } from './factories.js';

function finish(events: RideEvent[]): FinishedRide {
  let ride: OpenRide | undefined;
  for (const event of events) {
    const step = applyRideEvent(ride, event, Date.parse(event.event_time), h3Zone);
    if (step.kind === 'finished') return step.ride;
    if (step.kind === 'rejected') throw new Error(step.reason);
    ride = step.ride;
  }
  throw new Error('the ride did not finish');
}

describe('enriched ride records', () => {
  it('a completed ride has wait = request → arrival and trip = start → completion, in seconds', () => {
    const record = enrichRide(finish(completedRide(T0)), 'America/New_York');
    expect(record.wait_time_s).toBe(180);
    expect(record.trip_duration_s).toBe(660);
    expect(record.status).toBe('completed');
    expect(record.distance_source).toBe('reported');
    expect(record.event_time).toBe(record.ended_at);
    expect(record.ended_at).toBe(record.completed_at);
  });

  it('cost per km and per minute divide the fare by distance and trip minutes', () => {
    const record = enrichRide(finish(completedRide(T0, { fareTotal: 22, distanceKm: 5.5 })), 'America/New_York');
    expect(record.cost_per_km).toBe(4);
    expect(record.cost_per_minute).toBe(2);
  });

  it('a ride that is cancelled before assignment still yields one enriched record with null wait time', () => {
    const record = enrichRide(finish(rideEvents({ requestedAt: T0, cancelledAt: T0 + sec(90) })), 'America/New_York');
    expect(record.status).toBe('cancelled');
    expect(record.wait_time_s).toBeNull();
    expect(record.trip_duration_s).toBeNull();
    expect(record.driver_id).toBeNull();
    expect(record.fare_total).toBeNull();
    expect(record.cost_per_km).toBeNull();
    expect(record.cost_per_minute).toBeNull();
    expect(record.cancelled_at).toBe(record.ended_at);
    expect(record.cancelled_by).toBe('customer');
  });

  it('a cancelled ride gets the great-circle pickup → drop-off distance, marked haversine', () => {
    const record = enrichRide(finish(rideEvents({ requestedAt: T0, cancelledAt: T0 + sec(90) })), 'America/New_York');
    expect(record.distance_source).toBe('haversine');
    expect(record.distance_km).toBeCloseTo(haversineKm(NYC_PICKUP, NYC_DROPOFF), 3);
  });

  it('a zero-distance completed ride has a null cost per km, never Infinity', () => {
    const record = enrichRide(finish(completedRide(T0, { distanceKm: 0 })), 'America/New_York');
    expect(record.cost_per_km).toBeNull();
    expect(JSON.stringify(record)).not.toMatch(/Infinity|NaN/);
  });

  it('a trip that started and completed in the same millisecond has a null cost per minute', () => {
    const record = enrichRide(finish(completedRide(T0, { startedAt: T0 + sec(240), completedAt: T0 + sec(240) })), 'America/New_York');
    expect(record.trip_duration_s).toBe(0);
    expect(record.cost_per_minute).toBeNull();
  });

  it('cost maths is null for missing or zero divisors and finite otherwise', () => {
    expect(costPerKm(10, 0)).toBeNull();
    expect(costPerKm(10, null)).toBeNull();
    expect(costPerKm(null, 3)).toBeNull();
    expect(costPerMinute(10, 0)).toBeNull();
    expect(costPerMinute(10, -1)).toBeNull();
    expect(costPerMinute(12, 120)).toBe(6);
  });

  it('hour of day and weekday are those of the request in the city time zone, not UTC', () => {
    // 03:30 UTC on Monday 2026-01-05 is 22:30 on Sunday in New York and 12:30 on Monday in Tokyo.
    const at = Date.parse('2026-01-05T03:30:00.000Z');
    expect(localTime(at, 'America/New_York')).toEqual({ date: '2026-01-04', hour: 22, weekday: 7 });
    expect(localTime(at, 'Asia/Tokyo')).toEqual({ date: '2026-01-05', hour: 12, weekday: 1 });
    const record = enrichRide(finish(completedRide(at)), 'America/New_York');
    expect(record).toMatchObject({ local_date: '2026-01-04', hour_of_day: 22, weekday: 7, time_zone: 'America/New_York' });
  });

  it('a city without a configured time zone is enriched in UTC and says so', () => {
    const lookup = timeZoneLookup([{ code: 'nyc', timeZone: 'America/New_York' }]);
    expect(lookup('nyc')).toBe('America/New_York');
    expect(lookup('atl')).toBe('UTC');
  });

  it('the pickup zone is the H3 resolution-8 cell of the pickup', () => {
    const record = enrichRide(finish(completedRide(T0)), 'America/New_York');
    expect(record.pickup_zone).toBe(h3Zone(NYC_PICKUP));
    expect(record.pickup_zone).toMatch(/^88[0-9a-f]{13}$/);
  });

  it('completed and cancelled records both satisfy enriched_rides.schema.json', () => {
    for (const events of [completedRide(T0), rideEvents({ requestedAt: T0, assignedAt: T0 + sec(5), cancelledAt: T0 + sec(60) })]) {
      const result = validate('enriched_rides.schema.json', enrichRide(finish(events), 'America/New_York'));
      expect(result.ok ? [] : result.errors).toEqual([]);
    }
  });
});
