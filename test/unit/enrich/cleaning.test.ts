import { describe, expect, it } from 'vitest';
import { cleanRecord, keyEquals } from '../../../src/enrich/cleaning.js';
import { completedRide, T0, vehicleEvent } from './factories.js';

const limits = { maxFutureMs: 3_600_000 };
const now = T0 + 60_000;
const bytes = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('cleaning a record', () => {
  it('a valid ride event comes out typed, with its event time in ms', () => {
    const [requested] = completedRide(T0);
    const result = cleanRecord('ride', Buffer.from(requested!.ride_id), bytes(requested), now, limits);
    expect(result).toMatchObject({ ok: true, value: { kind: 'ride', eventTimeMs: T0 } });
  });

  it('bytes that are not JSON are refused with the parser message', () => {
    expect(cleanRecord('ride', null, bytes('{"event_id": '), now, limits)).toEqual({ ok: false, reason: expect.stringMatching(/^not JSON/) });
  });

  it('an empty value (a tombstone) is refused', () => {
    expect(cleanRecord('ride', null, null, now, limits)).toEqual({ ok: false, reason: 'empty value' });
  });

  it('an event that breaks its schema is refused with the failing path', () => {
    const [requested] = completedRide(T0);
    const broken = { ...requested, pickup: { lat: 123, lon: 0 } };
    expect(cleanRecord('ride', null, bytes(broken), now, limits)).toEqual({ ok: false, reason: expect.stringMatching(/schema ride_events.schema.json/) });
  });

  it('a negative fare is impossible and refused', () => {
    const completed = completedRide(T0).at(-1) as { fare: { total: number } };
    const negative = { ...completed, fare: { ...completed.fare, total: -4 } };
    expect(cleanRecord('ride', null, bytes(negative), now, limits)).toMatchObject({ ok: false, reason: expect.stringMatching(/fare\/total must be >= 0/) });
  });

  it('a negative distance is impossible and refused', () => {
    const completed = completedRide(T0).at(-1)!;
    expect(cleanRecord('ride', null, bytes({ ...completed, distance_km: -1 }), now, limits)).toMatchObject({ ok: false });
  });

  it('a city ride of thousands of kilometres is implausible and refused', () => {
    const completed = completedRide(T0).at(-1)!;
    expect(cleanRecord('ride', null, bytes({ ...completed, distance_km: 5_000 }), now, limits)).toEqual({ ok: false, reason: expect.stringMatching(/implausible/) });
  });

  it('an event time far in the future of the wall clock is refused', () => {
    const event = vehicleEvent({ vehicleId: 'veh_1', at: now + 2 * 3_600_000, status: 'available' });
    expect(cleanRecord('vehicle', null, bytes(event), now, limits)).toEqual({ ok: false, reason: expect.stringMatching(/in the future/) });
  });

  it('a record whose key is not the id inside would land on the wrong partition, so it is refused', () => {
    const [requested] = completedRide(T0);
    expect(cleanRecord('ride', Buffer.from('ride_other'), bytes(requested), now, limits)).toEqual({ ok: false, reason: expect.stringMatching(/does not match ride_id/) });
  });

  it('a key is compared as the text it decodes to, without decoding the usual ASCII ids', () => {
    expect(keyEquals(Buffer.from('ride_1a'), 'ride_1a')).toBe(true);
    expect(keyEquals(Buffer.from('ride_1b'), 'ride_1a')).toBe(false);
    expect(keyEquals(Buffer.from('ride_1'), 'ride_1a')).toBe(false);
    expect(keyEquals(Buffer.from('ride_é'), 'ride_é')).toBe(true);
    expect(keyEquals(Buffer.from('ride_e'), 'ride_é')).toBe(false);
    // Bytes that are not UTF-8 decode to U+FFFD, and only an id made of that matches them.
    expect(keyEquals(Buffer.from([0x72, 0xff]), 'r\ufffd')).toBe(true);
    expect(keyEquals(Buffer.from([0x72, 0xff]), 'r?')).toBe(false);
  });
});
