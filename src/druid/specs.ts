import type { KafkaSettings } from '../config/config.js';
import { TOPICS, type TopicSpec } from '../contract/topics.js';
import type { SchemaId } from '../contract/validate.js';

/**
 * The Kafka supervisor specs `ridehail druid submit` posts: one template per topic in
 * specs/druid/<name>.json, rendered here without I/O. Templates hold three placeholders, filled
 * from the configuration so no broker, topic or datasource name is ever baked in:
 *   ${DATASOURCE}           the datasource (and so the supervisor id)
 *   ${TOPIC}                the Kafka topic
 *   ${CONSUMER_PROPERTIES}  a whole JSON object: bootstrap.servers plus TLS/SASL settings
 */

export interface DruidSpecDefinition {
  /** The template's file name without .json, and the default datasource name. */
  readonly name: string;
  readonly topic: TopicSpec & { readonly schema: SchemaId };
  readonly summary: string;
  /**
   * Without rollup a datasource is a copy of the topic, so every field of the schema must land in
   * it (a new schema field with no column is a bug); these are the deliberate exceptions.
   */
  readonly completeExcept?: readonly string[];
}

export const DRUID_SPECS: readonly DruidSpecDefinition[] = [
  {
    name: 'enriched_rides',
    topic: TOPICS.enrichedRides,
    summary: 'one row per finished ride (a correction adds a row with a higher revision); no rollup, for drill-down by ride, driver or zone',
    completeExcept: [],
  },
  {
    name: 'ride_metrics_1m',
    topic: TOPICS.rideMetrics,
    summary: 'per-city windows, every revision as enrich wrote it; read the latest with LATEST_BY(col, MILLIS_TO_TIMESTAMP(revision))',
    // Always null on the city-level topic.
    completeExcept: ['zone'],
  },
  {
    name: 'ride_metrics_zone_1m',
    topic: TOPICS.rideMetricsZone,
    summary: 'per-H3-zone windows, every revision; same columns as ride_metrics_1m plus zone',
    completeExcept: [],
  },
  {
    name: 'ride_events',
    topic: TOPICS.rideEvents,
    summary: 'raw lifecycle events rolled up per minute, city and event type: counts, sums and theta sketches (SUM("events"), not COUNT(*))',
  },
];

export const DRUID_SPEC_NAMES: readonly string[] = DRUID_SPECS.map((s) => s.name);

export class SpecError extends Error {
  override name = 'SpecError';
}

const WHOLE_PLACEHOLDER = /^\$\{([A-Z][A-Z0-9_]*)\}$/;
const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/**
 * Fills placeholders in a parsed template. A string that is exactly `${NAME}` becomes the value
 * itself (an object, for the consumer properties); inside a longer string the value is spliced in
 * as text. Working on the parsed JSON, not its text, means a value can never break the JSON.
 * An unknown placeholder is a broken template, so it throws rather than posting it to Druid.
 */
export function fillPlaceholders(template: unknown, vars: Readonly<Record<string, unknown>>, where = 'template'): unknown {
  const lookup = (name: string): unknown => {
    if (!(name in vars)) throw new SpecError(`${where}: no value for placeholder \${${name}} (known: ${Object.keys(vars).join(', ')})`);
    return vars[name];
  };
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const whole = WHOLE_PLACEHOLDER.exec(node);
      if (whole) return structuredClone(lookup(whole[1]!));
      return node.replace(PLACEHOLDER, (_m, name: string) => {
        const value = lookup(name);
        if (typeof value !== 'string' && typeof value !== 'number') throw new SpecError(`${where}: \${${name}} is not text and cannot be part of "${node}"`);
        return String(value);
      });
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(template);
}

const SASL_MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

function jaasQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Druid refuses a Kafka supervisor whose consumerProperties lack it, even when a provider supplies it. */
const REQUIRED_IN_SPEC = 'bootstrap.servers';

/**
 * Kafka consumer settings for Druid's tasks (the Java client's names), from the same settings the
 * CLI connects with. `bootstrapServers` may differ from the CLI's brokers when Druid reaches Kafka
 * by another address (another network, a container).
 *
 * `fromEnv` maps consumer properties to environment variables of Druid's processes, read through
 * Druid's environment dynamic config provider when a task connects: a secret so given (the
 * SASL JAAS line with its password) is never in the spec Druid stores in its metadata. Such a
 * property is left out of the spec, except bootstrap.servers, which Druid requires there (the
 * provider's value wins over it).
 */
export function consumerProperties(kafka: Pick<KafkaSettings, 'ssl' | 'sasl'>, bootstrapServers: readonly string[], fromEnv: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  const props: Record<string, unknown> = { 'bootstrap.servers': bootstrapServers.join(',') };
  if (kafka.sasl) {
    props['security.protocol'] = kafka.ssl ? 'SASL_SSL' : 'SASL_PLAINTEXT';
    props['sasl.mechanism'] = SASL_MECHANISMS[kafka.sasl.mechanism];
    const module = kafka.sasl.mechanism === 'plain' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule';
    props['sasl.jaas.config'] = `${module} required username=${jaasQuote(kafka.sasl.username)} password=${jaasQuote(kafka.sasl.password)};`;
  } else if (kafka.ssl) {
    props['security.protocol'] = 'SSL';
  }
  const variables = Object.entries(fromEnv);
  if (variables.length === 0) return props;
  for (const [property] of variables) if (property !== REQUIRED_IN_SPEC) delete props[property];
  props['druid.dynamic.config.provider'] = { type: 'environment', variables: Object.fromEntries(variables) };
  return props;
}

/** `property=VARIABLE`, as `--consumer-property-env` takes it. */
export function parseConsumerPropertyEnv(raw: string): [property: string, variable: string] {
  const match = /^([A-Za-z0-9._-]+)=([A-Za-z_][A-Za-z0-9_]*)$/.exec(raw.trim());
  if (!match) throw new SpecError(`"${raw}" is not property=VARIABLE (a Kafka consumer property, then an environment variable name)`);
  return [match[1]!, match[2]!];
}

export interface RenderOptions {
  /** Put before every topic name, as `enrich --topic-prefix` does. */
  readonly topicPrefix: string;
  /** Put before every datasource name. */
  readonly datasourcePrefix: string;
  readonly consumerProperties: Readonly<Record<string, unknown>>;
}

export interface RenderedSpec {
  readonly name: string;
  /** The supervisor id: Druid names a supervisor after its datasource. */
  readonly id: string;
  readonly dataSource: string;
  readonly topic: string;
  readonly spec: Record<string, unknown>;
}

/** Druid refuses these in a datasource name; better said here than as a 400 from the overlord. */
export function datasourceNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.startsWith('.')) return 'starts with a dot';
  if (/[/\s]/.test(name)) return 'contains a slash or whitespace';
  return undefined;
}

export function renderSpec(def: DruidSpecDefinition, template: unknown, opts: RenderOptions): RenderedSpec {
  const dataSource = `${opts.datasourcePrefix}${def.name}`;
  const problem = datasourceNameProblem(dataSource);
  if (problem !== undefined) throw new SpecError(`datasource name "${dataSource}" ${problem}`);
  const topic = `${opts.topicPrefix}${def.topic.name}`;
  const spec = fillPlaceholders(template, { DATASOURCE: dataSource, TOPIC: topic, CONSUMER_PROPERTIES: { ...opts.consumerProperties } }, `specs/druid/${def.name}.json`);
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new SpecError(`specs/druid/${def.name}.json does not hold a JSON object`);
  return { name: def.name, id: dataSource, dataSource, topic, spec: spec as Record<string, unknown> };
}

/** The definitions for `--spec`: one name, or all of them. */
export function selectSpecs(choice: string): DruidSpecDefinition[] {
  if (choice === 'all') return [...DRUID_SPECS];
  const names = choice.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !DRUID_SPEC_NAMES.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new SpecError(`no such spec: ${unknown.join(', ') || choice} (known: ${DRUID_SPEC_NAMES.join(', ')}, or all)`);
  }
  return DRUID_SPECS.filter((s) => names.includes(s.name));
}

/** A copy fit to print: the SASL password in the JAAS line is replaced. */
export function maskSecrets(spec: Record<string, unknown>): Record<string, unknown> {
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return node.replace(/(password=)("(?:[^"\\]|\\.)*")/g, '$1"****"');
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(spec) as Record<string, unknown>;
}

/** How many task slots a supervisor spec asks for while it reads (taskCount × replicas). */
export function taskSlots(spec: unknown): number {
  const io = (spec as { spec?: { ioConfig?: { taskCount?: unknown; replicas?: unknown } } } | undefined)?.spec?.ioConfig;
  const count = typeof io?.taskCount === 'number' ? io.taskCount : 1;
  const replicas = typeof io?.replicas === 'number' ? io.replicas : 1;
  return count * replicas;
}
