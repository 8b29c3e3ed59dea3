import { describe, expect, it } from 'vitest';
import { loadSchemas } from '../../../src/contract/schemas.js';
import { checkSpecAgainstSchema, schemaFieldTypes, specFields } from '../../../src/druid/schema-check.js';
import { loadSpecTemplate, prepareSpecs, schemaProblems } from '../../../src/druid/spec-files.js';
import { consumerProperties, DRUID_SPECS, fillPlaceholders, maskSecrets, parseConsumerPropertyEnv, renderSpec, selectSpecs, taskSlots } from '../../../src/druid/specs.js';

const plain = { topicPrefix: '', datasourcePrefix: '', consumerProperties: { 'bootstrap.servers': 'k1:9092' } };

function rendered(name: string, opts = plain): Record<string, unknown> {
  const def = DRUID_SPECS.find((d) => d.name === name)!;
  return renderSpec(def, loadSpecTemplate(name), opts).spec;
}

function at(spec: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], spec);
}

describe('the supervisor spec templates', () => {
  it('exist for enriched_rides, both metrics topics and raw ride_events', () => {
    expect(DRUID_SPECS.map((d) => d.name)).toEqual(['enriched_rides', 'ride_metrics_1m', 'ride_metrics_zone_1m', 'ride_events']);
  });

  it.each(DRUID_SPECS.map((d) => d.name))('%s agrees with its JSON Schema', (name) => {
    const def = DRUID_SPECS.find((d) => d.name === name)!;
    expect(schemaProblems(def, rendered(name))).toEqual([]);
  });

  it.each(DRUID_SPECS.map((d) => d.name))('%s is in the current format: inputFormat in ioConfig, no parser, a kafka tuningConfig', (name) => {
    const spec = rendered(name);
    expect(spec['type']).toBe('kafka');
    expect(JSON.stringify(spec)).not.toMatch(/"parser"|"parseSpec"|"firehose"/);
    expect(at(spec, 'spec', 'ioConfig', 'inputFormat', 'type')).toBe('json');
    expect(at(spec, 'spec', 'ioConfig', 'type')).toBe('kafka');
    expect(at(spec, 'spec', 'tuningConfig', 'type')).toBe('kafka');
    expect(at(spec, 'spec', 'dataSchema', 'timestampSpec', 'format')).toBe('iso');
    expect(at(spec, 'spec', 'dataSchema', 'granularitySpec', 'segmentGranularity')).toBeTypeOf('string');
    expect(at(spec, 'spec', 'dataSchema', 'granularitySpec', 'queryGranularity')).toBeTypeOf('string');
    expect(at(spec, 'spec', 'ioConfig', 'useEarliestOffset')).toBe(true);
  });

  it('hard-code no broker, topic or datasource: all three come from the render options', () => {
    const opts = { topicPrefix: 'staging.', datasourcePrefix: 'stg_', consumerProperties: { 'bootstrap.servers': 'kafka-a:9092,kafka-b:9092' } };
    for (const def of DRUID_SPECS) {
      const text = JSON.stringify(loadSpecTemplate(def.name));
      expect(text).not.toMatch(/127\.0\.0\.1|localhost|:9092|:19092/);
      expect(text).not.toContain(`"${def.topic.name}"`);
      const spec = rendered(def.name, opts);
      expect(at(spec, 'spec', 'dataSchema', 'dataSource')).toBe(`stg_${def.name}`);
      expect(at(spec, 'spec', 'ioConfig', 'topic')).toBe(`staging.${def.topic.name}`);
      expect(at(spec, 'spec', 'ioConfig', 'consumerProperties')).toEqual({ 'bootstrap.servers': 'kafka-a:9092,kafka-b:9092' });
    }
  });

  it('keep every ride and every window revision as a row, and roll raw events up per minute', () => {
    expect(at(rendered('enriched_rides'), 'spec', 'dataSchema', 'granularitySpec')).toMatchObject({ rollup: false, queryGranularity: 'none' });
    // Windows shorter than a minute (enrich --window 10s) must not be merged by truncation.
    expect(at(rendered('ride_metrics_1m'), 'spec', 'dataSchema', 'granularitySpec')).toMatchObject({ rollup: false, queryGranularity: 'none' });
    expect(at(rendered('ride_events'), 'spec', 'dataSchema', 'granularitySpec')).toMatchObject({ rollup: true, queryGranularity: 'minute' });
    expect(specFields(rendered('ride_metrics_1m')).find((f) => f.column === 'revision')).toMatchObject({ kind: 'long' });
  });

  it('prepare all four from the files on disk without a problem', () => {
    const specs = prepareSpecs(DRUID_SPECS, plain);
    expect(specs.map((s) => [s.id, s.topic])).toEqual(DRUID_SPECS.map((d) => [d.name, d.topic.name]));
  });
});

describe('checking a spec against its schema', () => {
  const fields = schemaFieldTypes('enriched_rides.schema.json', loadSchemas());
  const withDimensions = (dimensions: unknown[], extra: Record<string, unknown> = {}): unknown => ({
    spec: {
      dataSchema: { timestampSpec: { column: 'event_time' }, dimensionsSpec: { dimensions }, granularitySpec: { rollup: true }, ...extra },
    },
  });

  it('sees nested objects as dotted leaves and nullable fields with their null', () => {
    expect([...(fields.get('pickup.lat') ?? [])]).toEqual(['number']);
    expect(fields.has('pickup')).toBe(false);
    expect([...(fields.get('driver_id') ?? [])].sort()).toEqual(['null', 'string']);
    const rideEvents = schemaFieldTypes('ride_events.schema.json', loadSchemas());
    // ride_events is a oneOf of event types: the fields of all of them.
    expect(rideEvents.has('fare.total')).toBe(true);
    expect(rideEvents.has('eta_s')).toBe(true);
  });

  it('fails a spec that names a field the schema lacks', () => {
    expect(checkSpecAgainstSchema(withDimensions(['city', 'rider_mood']), fields, { complete: false })).toEqual([
      'dimension "rider_mood" reads "rider_mood", which the schema does not have',
    ]);
  });

  it('fails a spec whose column type cannot hold the schema type', () => {
    expect(checkSpecAgainstSchema(withDimensions([{ type: 'long', name: 'city' }, { type: 'long', name: 'fare_total' }]), fields, { complete: false })).toEqual([
      'dimension "city" is long but the schema\'s "city" is string',
      'dimension "fare_total" is long but the schema\'s "fare_total" is number',
    ]);
  });

  it('fails a spec whose flattened path or metric input is not in the schema', () => {
    const spec = {
      spec: {
        dataSchema: {
          timestampSpec: { column: 'event_time' },
          dimensionsSpec: { dimensions: [{ type: 'double', name: 'pickup_alt' }] },
          metricsSpec: [{ type: 'doubleSum', name: 'tips', fieldName: 'tip' }],
        },
        ioConfig: { inputFormat: { type: 'json', flattenSpec: { fields: [{ type: 'path', name: 'pickup_alt', expr: '$.pickup.alt' }] } } },
      },
    };
    expect(checkSpecAgainstSchema(spec, fields, { complete: false })).toEqual([
      'dimension "pickup_alt" reads "pickup.alt", which the schema does not have',
      'metric "tips" reads "tip", which the schema does not have',
    ]);
  });

  it('fails a spec without rollup that drops a schema field, unless the omission is declared', () => {
    const spec = { spec: { dataSchema: { timestampSpec: { column: 'event_time' }, dimensionsSpec: { dimensions: ['ride_id'] }, granularitySpec: { rollup: false } } } };
    const problems = checkSpecAgainstSchema(spec, fields, { complete: true });
    expect(problems).toContain('schema field "city" is not ingested (add it, or list it as a deliberate omission)');
    const everything = [...fields.keys()].filter((f) => f !== 'ride_id' && f !== 'event_time');
    expect(checkSpecAgainstSchema(spec, fields, { complete: true, except: everything })).toEqual([]);
  });
});

describe('filling in placeholders', () => {
  it('puts a whole object where a string is exactly one placeholder, and text inside longer strings', () => {
    const out = fillPlaceholders({ a: '${OBJ}', b: ['x-${NAME}-y'], c: 3 }, { OBJ: { k: 'v' }, NAME: 'n' });
    expect(out).toEqual({ a: { k: 'v' }, b: ['x-n-y'], c: 3 });
  });

  it('refuses an unknown placeholder rather than posting it', () => {
    expect(() => fillPlaceholders({ a: '${NOPE}' }, { TOPIC: 't' }, 'specs/druid/x.json')).toThrow(/specs\/druid\/x.json: no value for placeholder \$\{NOPE\}/);
  });

  it('cannot be broken by a value with quotes in it', () => {
    const out = fillPlaceholders({ topic: '${TOPIC}' }, { TOPIC: 'a"b' }) as { topic: string };
    expect(out.topic).toBe('a"b');
  });

  it('refuses a datasource name Druid would refuse', () => {
    const def = DRUID_SPECS[0]!;
    expect(() => renderSpec(def, loadSpecTemplate(def.name), { ...plain, datasourcePrefix: 'my ' })).toThrow(/contains a slash or whitespace/);
  });
});

describe("Druid's Kafka consumer properties", () => {
  it('are just the bootstrap servers for a plaintext cluster', () => {
    expect(consumerProperties({ ssl: false }, ['a:1', 'b:2'])).toEqual({ 'bootstrap.servers': 'a:1,b:2' });
  });

  it('carry TLS and SASL as the Java client names them, and the password is masked when printed', () => {
    const props = consumerProperties({ ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p"w' } }, ['a:1']);
    expect(props).toEqual({
      'bootstrap.servers': 'a:1',
      'security.protocol': 'SASL_SSL',
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p\\"w";',
    });
    expect(JSON.stringify(maskSecrets({ consumerProperties: props }))).toContain('password=\\"****\\";');
    expect(consumerProperties({ ssl: true }, ['a:1'])['security.protocol']).toBe('SSL');
    expect(consumerProperties({ ssl: false, sasl: { mechanism: 'plain', username: 'u', password: 'p' } }, ['a:1'])['security.protocol']).toBe('SASL_PLAINTEXT');
  });

  it("leave a property taken from Druid's environment out of the spec, so no password is stored", () => {
    const sasl = { mechanism: 'plain', username: 'u', password: 'secret' } as const;
    const props = consumerProperties({ ssl: true, sasl }, ['a:1'], { 'sasl.jaas.config': 'KAFKA_JAAS_CONFIG' });
    expect(props).toEqual({
      'bootstrap.servers': 'a:1',
      'security.protocol': 'SASL_SSL',
      'sasl.mechanism': 'PLAIN',
      'druid.dynamic.config.provider': { type: 'environment', variables: { 'sasl.jaas.config': 'KAFKA_JAAS_CONFIG' } },
    });
    expect(JSON.stringify(props)).not.toContain('secret');
  });

  it('keep bootstrap.servers in the spec even when the environment supplies it, as Druid requires', () => {
    const props = consumerProperties({ ssl: false }, ['a:1'], { 'bootstrap.servers': 'KAFKA_BOOTSTRAP' });
    expect(props['bootstrap.servers']).toBe('a:1');
    expect(props['druid.dynamic.config.provider']).toEqual({ type: 'environment', variables: { 'bootstrap.servers': 'KAFKA_BOOTSTRAP' } });
  });

  it('read --consumer-property-env as property=VARIABLE and say what is wrong otherwise', () => {
    expect(parseConsumerPropertyEnv('sasl.jaas.config=KAFKA_JAAS')).toEqual(['sasl.jaas.config', 'KAFKA_JAAS']);
    expect(() => parseConsumerPropertyEnv('sasl.jaas.config')).toThrow(/is not property=VARIABLE/);
    expect(() => parseConsumerPropertyEnv('sasl.jaas.config=1BAD')).toThrow(/is not property=VARIABLE/);
  });
});

describe('choosing specs', () => {
  it('takes all, one name or a comma-separated list, and names the known ones when a name is wrong', () => {
    expect(selectSpecs('all')).toHaveLength(4);
    expect(selectSpecs('ride_events,enriched_rides').map((s) => s.name)).toEqual(['enriched_rides', 'ride_events']);
    expect(() => selectSpecs('rides')).toThrow('no such spec: rides (known: enriched_rides, ride_metrics_1m, ride_metrics_zone_1m, ride_events, or all)');
  });

  it('counts the task slots a spec needs as taskCount times replicas', () => {
    expect(taskSlots(rendered('enriched_rides'))).toBe(1);
    expect(taskSlots({ spec: { ioConfig: { taskCount: 3, replicas: 2 } } })).toBe(6);
  });
});
