import { validate, validatorFor } from '../contract/validate.js';
import type { RideEvent } from '../contract/generated/ride_events.js';
import type { VehicleEvent } from '../contract/generated/vehicle_events.js';
import type { UserEvent } from '../contract/generated/user_events.js';

/**
 * Turns a record's bytes into a typed event, or says why it cannot be one. Pure: the wall clock
 * comes in as `nowMs`. Lifecycle order is judged later, by the ride join, which has the state.
 */
export type SourceKind = 'ride' | 'vehicle' | 'user';

export type CleanEvent =
  | { kind: 'ride'; event: RideEvent; eventTimeMs: number }
  | { kind: 'vehicle'; event: VehicleEvent; eventTimeMs: number }
  | { kind: 'user'; event: UserEvent; eventTimeMs: number };

export type Cleaned = { ok: true; value: CleanEvent } | { ok: false; reason: string };

export interface CleaningLimits {
  maxFutureMs: number;
}

/** No ride in a city is this long; a larger reported distance is a broken odometer, not a trip. */
export const MAX_PLAUSIBLE_DISTANCE_KM = 1_000;

const SCHEMAS = {
  ride: 'ride_events.schema.json',
  vehicle: 'vehicle_events.schema.json',
  user: 'user_events.schema.json',
} as const;

/**
 * The contract's compiled validators, looked up once. A record that passes is checked once; one
 * that fails is checked again by the contract's validate(), which words the errors, so only
 * refusals pay for that.
 */
let validators: Record<SourceKind, (value: unknown) => boolean> | undefined;

function validatorOf(kind: SourceKind): (value: unknown) => boolean {
  validators ??= { ride: validatorFor(SCHEMAS.ride), vehicle: validatorFor(SCHEMAS.vehicle), user: validatorFor(SCHEMAS.user) };
  return validators[kind];
}

export function cleanRecord(
  kind: SourceKind,
  key: Buffer | null,
  value: Buffer | null,
  nowMs: number,
  limits: CleaningLimits,
): Cleaned {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (!validatorOf(kind)(parsed)) {
    const checked = validate(SCHEMAS[kind], parsed);
    return { ok: false, reason: `schema ${SCHEMAS[kind]}: ${checked.ok ? 'invalid' : checked.errors.join('; ')}` };
  }
  const event = parsed as CleanEvent['event'];
  const eventTimeMs = Date.parse(event.event_time);
  if (!Number.isFinite(eventTimeMs)) return { ok: false, reason: `event_time ${event.event_time} is not a date` };
  if (eventTimeMs > nowMs + limits.maxFutureMs) {
    return { ok: false, reason: `event_time ${event.event_time} is more than ${limits.maxFutureMs / 1000}s in the future` };
  }
  const keyProblem = keyMismatch(kind, key, event);
  if (keyProblem) return { ok: false, reason: keyProblem };
  const impossible = kind === 'ride' ? impossibleRide(event as RideEvent) : undefined;
  if (impossible) return { ok: false, reason: impossible };
  return { ok: true, value: { kind, event, eventTimeMs } as CleanEvent };
}

/**
 * The record key decides the partition, and the per-partition ride join relies on all of a ride's
 * events sharing one: a key that disagrees with the id inside would scatter a ride.
 */
function keyMismatch(kind: SourceKind, key: Buffer | null, event: CleanEvent['event']): string | undefined {
  if (key === null) return undefined;
  const expected =
    kind === 'ride' ? (event as RideEvent).ride_id : kind === 'vehicle' ? (event as VehicleEvent).vehicle_id : (event as UserEvent).user_id;
  if (keyEquals(key, expected)) return undefined;
  return `record key ${key.toString('utf8')} does not match ${kind === 'ride' ? 'ride_id' : kind === 'vehicle' ? 'vehicle_id' : 'user_id'} ${expected}`;
}

/**
 * key.toString('utf8') === text, without decoding the key. For an ASCII `text` (every id the
 * schemas allow) the UTF-8 bytes are the characters themselves, and a decoded key can only equal
 * it if its bytes are those same characters; anything else is compared the long way.
 */
export function keyEquals(key: Buffer, text: string): boolean {
  if (key.length !== text.length) return !isAscii(text) && key.toString('utf8') === text;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch >= 0x80) return key.toString('utf8') === text;
    if (key[i] !== ch) return false;
  }
  return true;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** The schema already refuses negative money and distances; these are the impossibilities it cannot express. */
function impossibleRide(event: RideEvent): string | undefined {
  if (event.event_type !== 'ride_completed') return undefined;
  if (event.fare.total < 0) return `negative fare total ${event.fare.total}`;
  if (event.distance_km < 0) return `negative distance ${event.distance_km} km`;
  if (event.distance_km > MAX_PLAUSIBLE_DISTANCE_KM) return `distance ${event.distance_km} km is implausible for a city ride`;
  return undefined;
}
