/**
 * The JSON Schemas in schemas/ are the contract; a supervisor spec is a second description of
 * the same records and can drift from it. This compares the two without I/O: every input field a
 * spec reads (timestamp, dimensions, metrics, flattened paths) must exist in the topic's schema
 * with a type the column can hold, and a spec without rollup must not silently drop a field.
 */

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

interface SchemaNode {
  $ref?: string;
  type?: JsonType | JsonType[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  definitions?: Record<string, SchemaNode>;
  $id?: string;
}

export type SchemaDocs = readonly (Record<string, unknown> & { $id: string })[];

/** Leaf path (`pickup.lat`) → the JSON types it may have, over every variant of the record. */
export type FieldTypes = ReadonlyMap<string, ReadonlySet<JsonType>>;

function resolve(node: SchemaNode, doc: SchemaNode, docs: SchemaDocs): { node: SchemaNode; doc: SchemaNode } {
  if (node.$ref === undefined) return { node, doc };
  const [file, pointer = ''] = node.$ref.split('#');
  const target = (file === '' ? doc : (docs.find((d) => d.$id === file) as SchemaNode | undefined)) ?? undefined;
  if (target === undefined) throw new Error(`unresolvable $ref ${node.$ref}`);
  let found: unknown = target;
  for (const part of pointer.split('/').filter(Boolean)) found = (found as Record<string, unknown> | undefined)?.[part];
  if (found === undefined) throw new Error(`unresolvable $ref ${node.$ref}`);
  return resolve(found as SchemaNode, target, docs);
}

function typesOf(node: SchemaNode): JsonType[] {
  if (node.type !== undefined) return Array.isArray(node.type) ? node.type : [node.type];
  if (typeof node.const === 'string') return ['string'];
  return [];
}

/** Every leaf field of the schema with id `schemaId`, nested objects as dotted paths. */
export function schemaFieldTypes(schemaId: string, docs: SchemaDocs): FieldTypes {
  const root = docs.find((d) => d.$id === schemaId) as SchemaNode | undefined;
  if (root === undefined) throw new Error(`no schema ${schemaId}`);
  const out = new Map<string, Set<JsonType>>();
  const add = (path: string, types: JsonType[]): void => {
    const set = out.get(path) ?? new Set<JsonType>();
    for (const t of types) set.add(t);
    out.set(path, set);
  };
  const visit = (raw: SchemaNode, doc: SchemaNode, path: string): void => {
    const { node, doc: at } = resolve(raw, doc, docs);
    for (const variant of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) visit(variant, at, path);
    if (node.properties !== undefined) {
      for (const [name, child] of Object.entries(node.properties)) visit(child, at, path === '' ? name : `${path}.${name}`);
      return;
    }
    const types = typesOf(node);
    if (path !== '' && (types.length > 0 || (node.oneOf ?? node.anyOf) === undefined)) add(path, types.filter((t) => t !== 'object'));
  };
  visit(root, root, '');
  // `pickup` is an object or null: its leaves are the fields, the null variant adds no column.
  for (const path of [...out.keys()]) if ([...out.keys()].some((other) => other.startsWith(`${path}.`))) out.delete(path);
  return out;
}

type ColumnKind = 'string' | 'long' | 'double' | 'any';

/** JSON types a column of this kind can hold (null is always allowed). */
const ACCEPTS: Record<ColumnKind, readonly JsonType[]> = {
  string: ['string'],
  long: ['integer'],
  double: ['number', 'integer'],
  any: ['string', 'integer', 'number', 'boolean'],
};

const METRIC_KINDS: Record<string, ColumnKind> = {
  longSum: 'long', longMin: 'long', longMax: 'long', longFirst: 'long', longLast: 'long',
  doubleSum: 'double', doubleMin: 'double', doubleMax: 'double', doubleFirst: 'double', doubleLast: 'double',
  floatSum: 'double', floatMin: 'double', floatMax: 'double',
  HLLSketchBuild: 'any', thetaSketch: 'any', hyperUnique: 'any', cardinality: 'any',
  stringFirst: 'string', stringLast: 'string', quantilesDoublesSketch: 'double',
};

interface SpecShape {
  spec?: {
    dataSchema?: {
      timestampSpec?: { column?: string };
      dimensionsSpec?: { dimensions?: (string | { name?: string; type?: string })[] };
      metricsSpec?: { type?: string; name?: string; fieldName?: string }[];
      granularitySpec?: { rollup?: boolean };
    };
    ioConfig?: { inputFormat?: { flattenSpec?: { fields?: { type?: string; name?: string; expr?: string }[] } } };
  };
}

/** Names of the input fields a spec reads, each with the schema path it comes from. */
export interface SpecField {
  readonly role: 'timestamp' | 'dimension' | 'metric';
  /** The column or metric name in Druid. */
  readonly column: string;
  /** The schema path read (through flattenSpec when the field is nested). */
  readonly path: string;
  readonly kind: ColumnKind;
}

/** What a spec reads from each record. Pure; used by {@link checkSpecAgainstSchema} and tests. */
export function specFields(spec: unknown): SpecField[] {
  const s = (spec as SpecShape).spec;
  const flattened = new Map<string, string>();
  for (const f of s?.ioConfig?.inputFormat?.flattenSpec?.fields ?? []) {
    if (f.name === undefined || f.expr === undefined) continue;
    // Only plain `$.a.b` paths: anything cleverer is not checkable here and is refused.
    const match = /^\$((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/.exec(f.expr);
    flattened.set(f.name, match ? match[1]!.slice(1) : `<unsupported path ${f.expr}>`);
  }
  const pathOf = (name: string): string => flattened.get(name) ?? name;
  const fields: SpecField[] = [];
  const ts = s?.dataSchema?.timestampSpec?.column;
  if (ts !== undefined) fields.push({ role: 'timestamp', column: '__time', path: pathOf(ts), kind: 'string' });
  for (const d of s?.dataSchema?.dimensionsSpec?.dimensions ?? []) {
    const name = typeof d === 'string' ? d : (d.name ?? '');
    const type = typeof d === 'string' ? 'string' : (d.type ?? 'string');
    const kind: ColumnKind = type === 'long' ? 'long' : type === 'double' || type === 'float' ? 'double' : type === 'string' ? 'string' : 'any';
    fields.push({ role: 'dimension', column: name, path: pathOf(name), kind });
  }
  for (const m of s?.dataSchema?.metricsSpec ?? []) {
    if (m.fieldName === undefined) continue;
    fields.push({ role: 'metric', column: m.name ?? m.fieldName, path: pathOf(m.fieldName), kind: METRIC_KINDS[m.type ?? ''] ?? 'any' });
  }
  return fields;
}

export interface SchemaCheckOptions {
  /** Require every schema field to be read (specs without rollup). */
  readonly complete: boolean;
  /** Schema fields a complete spec may leave out, on purpose. */
  readonly except?: readonly string[];
}

/** Problems, one sentence each; empty when the spec and the schema agree. */
export function checkSpecAgainstSchema(spec: unknown, fieldTypes: FieldTypes, opts: SchemaCheckOptions): string[] {
  const problems: string[] = [];
  const read = specFields(spec);
  for (const f of read) {
    const types = fieldTypes.get(f.path);
    const what = f.role === 'timestamp' ? 'the timestamp column' : `${f.role} "${f.column}"`;
    if (types === undefined) {
      problems.push(`${what} reads "${f.path}", which the schema does not have`);
      continue;
    }
    const offered = [...types].filter((t) => t !== 'null');
    if (!offered.some((t) => ACCEPTS[f.kind].includes(t))) {
      problems.push(`${what} is ${f.kind} but the schema's "${f.path}" is ${offered.join(' or ') || 'only null'}`);
    }
  }
  const rollup = (spec as SpecShape).spec?.dataSchema?.granularitySpec?.rollup;
  if (opts.complete) {
    if (rollup !== false) problems.push('a spec that must keep every field has to set granularitySpec.rollup to false');
    const covered = new Set(read.map((f) => f.path));
    const except = new Set(opts.except ?? []);
    for (const path of fieldTypes.keys()) {
      if (!covered.has(path) && !except.has(path)) problems.push(`schema field "${path}" is not ingested (add it, or list it as a deliberate omission)`);
    }
  }
  const columns = read.filter((f) => f.role !== 'timestamp').map((f) => f.column);
  for (const dup of new Set(columns.filter((c, i) => columns.indexOf(c) !== i))) problems.push(`column "${dup}" is defined twice`);
  return problems;
}
