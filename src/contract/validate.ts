import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { loadSchemas } from './schemas.js';
import { DATE_TIME_FORMAT } from './date-time.js';
import type { RideEvent } from './generated/ride_events.js';
import type { UserEvent } from './generated/user_events.js';
import type { VehicleEvent } from './generated/vehicle_events.js';
import type { EnrichedRide } from './generated/enriched_rides.js';
import type { RideMetrics } from './generated/ride_metrics.js';

// ajv and ajv-formats are CommonJS; under NodeNext their default export is the module object.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

export interface SchemaShapes {
  'ride_events.schema.json': RideEvent;
  'user_events.schema.json': UserEvent;
  'vehicle_events.schema.json': VehicleEvent;
  'enriched_rides.schema.json': EnrichedRide;
  'ride_metrics.schema.json': RideMetrics;
}
export type SchemaId = keyof SchemaShapes;

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

let ajv: InstanceType<typeof Ajv> | undefined;
const compiled = new Map<SchemaId, ValidateFunction>();

function instance(): InstanceType<typeof Ajv> {
  if (!ajv) {
    ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    // Same verdicts as ajv-formats' date-time, without its allocations on every event (date-time.ts).
    ajv.addFormat('date-time', DATE_TIME_FORMAT);
    // Our own annotations document the topic contract; declaring them keeps strict mode on.
    ajv.addKeyword('x-topic');
    ajv.addKeyword('x-key');
    for (const schema of loadSchemas()) ajv.addSchema(schema);
  }
  return ajv;
}

export function validatorFor<K extends SchemaId>(id: K): (value: unknown) => value is SchemaShapes[K] {
  let fn = compiled.get(id);
  if (!fn) {
    fn = instance().getSchema(id);
    if (!fn) throw new Error(`No schema with $id ${id} in schemas/`);
    compiled.set(id, fn);
  }
  return fn as (value: unknown) => value is SchemaShapes[K];
}

export function validate<K extends SchemaId>(id: K, value: unknown): ValidationResult<SchemaShapes[K]> {
  const fn = validatorFor(id) as ValidateFunction;
  if (fn(value)) return { ok: true, value: value as SchemaShapes[K] };
  return { ok: false, errors: formatErrors(fn.errors ?? []) };
}

function formatErrors(errors: ErrorObject[]): string[] {
  return errors.map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}
