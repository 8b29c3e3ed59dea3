import type { RideEvent } from '../../../src/contract/generated/ride_events.js';
import type { UserEvent } from '../../../src/contract/generated/user_events.js';
import type { VehicleEvent } from '../../../src/contract/generated/vehicle_events.js';
import { BUILT_IN_CITIES, type City } from '../../../src/generate/cities.js';
import { generate, type GenerateParams, type GenerateSummary } from '../../../src/generate/job.js';
import type { OutRecord } from '../../../src/generate/records.js';
import { MemorySink } from '../../../src/generate/sinks.js';

/** Shared by the generator's unit tests: runs into memory and the parsed stream. Not a test file. */

export const START = Date.parse('2026-01-05T16:00:00.000Z');

export function params(overrides: Partial<GenerateParams> = {}): GenerateParams {
  return {
    cities: BUILT_IN_CITIES,
    seed: 'unit',
    clock: 'sim',
    startMs: START,
    rate: 20,
    speed: 1,
    invalidRate: 0,
    duplicateRate: 0,
    lateRate: 0,
    lateByMs: 300_000,
    destination: 'memory',
    ...overrides,
  };
}

export async function run(overrides: Partial<GenerateParams> = {}): Promise<{ records: OutRecord[]; summary: GenerateSummary }> {
  const sink = new MemorySink();
  const summary = await generate(params(overrides), sink);
  return { records: sink.records, summary };
}

export type AnyEvent = RideEvent | UserEvent | VehicleEvent;

export interface Parsed {
  topic: string;
  key: string;
  value: AnyEvent;
  /** Position in the stream. */
  index: number;
  timeMs: number;
}

export function parse(records: readonly OutRecord[]): Parsed[] {
  return records.map((r, index) => {
    const value = JSON.parse(r.value) as AnyEvent;
    return { topic: r.topic, key: r.key, value, index, timeMs: Date.parse(value.event_time) };
  });
}

export function cityOf(code: string, cities: readonly City[] = BUILT_IN_CITIES): City {
  const city = cities.find((c) => c.code === code);
  if (!city) throw new Error(`no city ${code}`);
  return city;
}

/** Groups by a key, keeping stream order inside each group. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(item);
  }
  return groups;
}
