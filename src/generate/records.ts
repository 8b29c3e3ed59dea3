import type { VehicleEvent } from '../contract/generated/vehicle_events.js';
import type { SimEvent } from './simulation.js';

/**
 * A record as it goes to Kafka or a file: topic, key and the value's bytes (as a string).
 * `value` is normally the event's JSON; an injected "not JSON" fault carries other bytes, which
 * `json: false` records so the JSON Lines form can keep them apart from JSON values.
 */
export interface OutRecord {
  topic: string;
  key: string;
  value: string;
  json: boolean;
}

/**
 * The event's JSON: key order is the order the simulation built the object in, so equal events
 * give equal bytes. Location pings are nine events in ten, so they get a hand-written writer
 * (several times faster than JSON.stringify, byte-identical to it: every string in a ping is an
 * id, code or timestamp matching a pattern without quotes or backslashes).
 */
export function serializeEvent(event: SimEvent['value']): string {
  if (event.event_type === 'vehicle_location') return serializePing(event as VehicleEvent);
  return JSON.stringify(event);
}

function serializePing(e: VehicleEvent): string {
  if (e.heading === undefined || e.speed_kmh === undefined) return JSON.stringify(e);
  return (
    `{"event_id":"${e.event_id}","event_type":"${e.event_type}","event_time":"${e.event_time}",` +
    `"schema_version":${e.schema_version},"city":"${e.city}","vehicle_id":"${e.vehicle_id}",` +
    `"driver_id":"${e.driver_id}","status":"${e.status}","location":{"lat":${e.location.lat},"lon":${e.location.lon}},` +
    `"heading":${e.heading},"speed_kmh":${e.speed_kmh}}`
  );
}

/**
 * One line of the JSON Lines form: `{"topic":…,"key":…,"value":…}`. A JSON value is embedded as
 * is; other bytes become a JSON string. `ridehail produce` reverses this exactly, so a file
 * replays the same bytes that a direct run would have sent.
 */
export function toJsonLine(record: OutRecord): string {
  return `{"topic":${JSON.stringify(record.topic)},"key":${JSON.stringify(record.key)},"value":${record.json ? record.value : JSON.stringify(record.value)}}\n`;
}

export class JsonLineError extends Error {
  override name = 'JsonLineError';
}

/** Parses one line of the JSON Lines form back into a record. */
export function fromJsonLine(line: string): OutRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new JsonLineError(`not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new JsonLineError('expected an object {"topic","key","value"}');
  const { topic, key, value } = parsed as Record<string, unknown>;
  if (typeof topic !== 'string' || topic.length === 0) throw new JsonLineError('"topic" must be a non-empty string');
  if (typeof key !== 'string') throw new JsonLineError('"key" must be a string');
  if (value === undefined) throw new JsonLineError('"value" is missing');
  // A string value holds raw bytes; anything else is the record's JSON.
  if (typeof value === 'string') return { topic, key, value, json: false };
  return { topic, key, value: JSON.stringify(value), json: true };
}
