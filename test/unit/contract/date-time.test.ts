import { describe, expect, it } from 'vitest';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { loadSchemas } from '../../../src/contract/schemas.js';
import { validatorFor, type SchemaId } from '../../../src/contract/validate.js';
import { isIsoInstant } from '../../../src/contract/date-time.js';
import { completedRide, rideEvents, T0, userEvent, vehicleEvent } from '../enrich/factories.js';

const fullDateTime = addFormatsModule.default.get('date-time', 'full') as { validate: (value: string) => boolean };

/** The contract compiled with ajv-formats' own date-time, as the reference verdict. */
function referenceValidatorFor(id: SchemaId): (value: unknown) => boolean {
  const ajv = new AjvModule.default({ allErrors: false, strict: true, allowUnionTypes: true });
  addFormatsModule.default(ajv);
  ajv.addKeyword('x-topic');
  ajv.addKeyword('x-key');
  for (const schema of loadSchemas()) ajv.addSchema(schema);
  return ajv.getSchema(id)!;
}

/** Deterministic pseudo-random numbers, so a failure replays. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

describe("the contract's validators", () => {
  it('a date-time is accepted only where ajv-formats accepts it', () => {
    const next = random(3);
    const samples = [
      '2026-01-05T08:00:00.000Z', '2024-02-29T23:59:59.999Z', '2023-02-29T00:00:00.000Z', '2100-02-29T00:00:00.000Z',
      '2000-02-29T00:00:00.000Z', '2026-04-31T00:00:00.000Z', '2026-13-01T00:00:00.000Z', '2026-00-10T00:00:00.000Z',
      '2026-01-00T00:00:00.000Z', '2026-01-05T24:00:00.000Z', '2026-01-05T23:60:00.000Z', '2016-12-31T23:59:60.000Z',
      '2026-01-05t08:00:00.000z', '2026-01-05 08:00:00.000Z', '2026-01-05T08:00:00Z', '2026-01-05T08:00:00.000+01:00',
      '2026-01-05T08:00:00.000', '2026-1-05T08:00:00.000Z', '2026-01-05T08:00:00,000Z', '２026-01-05T08:00:00.000Z',
      '2026-01-05T08:00:00.000Z ', '', 'not a date', '2026-01-05T08:00:0a.000Z', '2026-01-05X08:00:00.000Z',
    ];
    for (let i = 0; i < 5_000; i++) {
      const year = Math.floor(next() * 10_000);
      samples.push(
        `${pad(year, 4)}-${pad(Math.floor(next() * 14), 2)}-${pad(Math.floor(next() * 33), 2)}T` +
          `${pad(Math.floor(next() * 26), 2)}:${pad(Math.floor(next() * 62), 2)}:${pad(Math.floor(next() * 62), 2)}.${pad(Math.floor(next() * 1000), 3)}Z`,
      );
    }
    for (const s of samples) {
      if (isIsoInstant(s)) expect(fullDateTime.validate(s), s).toBe(true);
    }
    // The fast path decides most of them (the rest go to ajv-formats).
    expect(samples.filter(isIsoInstant).length).toBeGreaterThan(2_000);
  });

  it('every event gets the verdict it would get with ajv-formats\' own date-time', () => {
    const [requested, assigned, arrived, started, completed] = completedRide(T0);
    const cancelled = rideEvents({ requestedAt: T0, cancelledAt: T0 + 1_000 }).at(-1)!;
    const cases: [SchemaId, unknown][] = [
      ...[requested, assigned, arrived, started, completed, cancelled].map((e): [SchemaId, unknown] => ['ride_events.schema.json', e]),
      ['vehicle_events.schema.json', vehicleEvent({ vehicleId: 'veh_a', at: T0, status: 'available' })],
      ['user_events.schema.json', userEvent(T0)],
    ];
    const broken: [SchemaId, unknown][] = [];
    for (const [id, event] of cases) {
      const e = event as Record<string, unknown>;
      for (const time of ['2026-02-30T00:00:00.000Z', '2016-12-31T23:59:60.000Z', '2026-01-05T08:00:00Z', '2026-01-05T08:00:00.000', 'yesterday']) {
        broken.push([id, { ...e, event_time: time }]);
      }
      broken.push([id, { ...e, event_id: 'not-a-uuid' }], [id, { ...e, city: 42 }], [id, { ...e, extra: true }]);
    }
    const reference = new Map<SchemaId, (value: unknown) => boolean>();
    for (const [id, event] of [...cases, ...broken]) {
      if (!reference.has(id)) reference.set(id, referenceValidatorFor(id));
      expect(validatorFor(id)(event), JSON.stringify(event)).toBe(reference.get(id)!(event));
    }
    expect(cases.every(([id, e]) => validatorFor(id)(e))).toBe(true);
  });
});
