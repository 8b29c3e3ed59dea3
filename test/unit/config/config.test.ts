import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, effectiveDatabaseUrl } from '../../../src/config/config.js';
import { ConfigError } from '../../../src/config/errors.js';
import { maskUrlPassword, maskValue } from '../../../src/config/mask.js';

const madeDirs: string[] = [];
afterAll(() => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

function dirWithConfig(content: unknown): string {
  const dir = tempDir('ridehail-config-');
  writeFileSync(join(dir, 'ridehail.config.json'), JSON.stringify(content));
  return dir;
}

describe('configuration precedence', () => {
  it('a flag beats the environment, which beats the file, which beats the default', () => {
    const dir = dirWithConfig({ kafka: { brokers: 'file:1' }, druidUrl: 'http://file:8888' });
    const env = { KAFKA_BROKERS: 'env:1,env:2', DRUID_URL: 'http://env:8888' };

    const fromFlag = resolveConfig({ brokers: 'flag:1' }, env, dir);
    expect(fromFlag.config.kafka.brokers).toEqual(['flag:1']);
    expect(fromFlag.sources['kafka.brokers']).toMatchObject({ source: 'flag', origin: '--brokers' });

    const fromEnv = resolveConfig({}, env, dir);
    expect(fromEnv.config.kafka.brokers).toEqual(['env:1', 'env:2']);
    expect(fromEnv.sources['kafka.brokers']).toMatchObject({ source: 'env', origin: 'KAFKA_BROKERS' });

    const fromFile = resolveConfig({}, {}, dir);
    expect(fromFile.config.kafka.brokers).toEqual(['file:1']);
    expect(fromFile.sources['kafka.brokers']?.source).toBe('file');
    expect(fromFile.config.druidUrl).toBe('http://file:8888');

    const fromDefault = resolveConfig({}, {}, tempDir('ridehail-empty-'));
    expect(fromDefault.config.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(fromDefault.sources['kafka.brokers']?.source).toBe('default');
  });

  it('an explicit --config file that does not exist is an error, a missing default file is not', () => {
    const dir = tempDir('ridehail-none-');
    expect(() => resolveConfig({ config: 'nope.json' }, {}, dir)).toThrow(ConfigError);
    expect(() => resolveConfig({}, {}, dir)).not.toThrow();
  });

  it('a broker that is not host:port is rejected with the place it came from', () => {
    expect(() => resolveConfig({}, { KAFKA_BROKERS: 'localhost' }, tmpdir())).toThrow(/KAFKA_BROKERS: "localhost" is not host:port/);
  });

  it('SASL settings need a username and a password', () => {
    expect(() => resolveConfig({}, { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, tmpdir())).toThrow(/PASSWORD/);
    const ok = resolveConfig(
      {},
      { KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SSL: 'true' },
      tmpdir(),
    );
    expect(ok.config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(ok.config.kafka.ssl).toBe(true);
  });

  it('without DATABASE_URL the pipeline uses the local stack on its configured port', () => {
    const { config } = resolveConfig({}, { RIDEHAIL_POSTGRES_PORT: '25432' }, tmpdir());
    expect(config.databaseUrl).toBeUndefined();
    expect(effectiveDatabaseUrl(config)).toBe('postgres://ridehail:ridehail@127.0.0.1:25432/ridehail');
  });

  it('a config file that is not JSON names the file', () => {
    const dir = tempDir('ridehail-bad-');
    writeFileSync(join(dir, 'ridehail.config.json'), '{ nope');
    expect(() => resolveConfig({}, {}, dir)).toThrow(/ridehail\.config\.json is not valid JSON/);
  });
});

describe('secret masking', () => {
  it('hides the password of a connection string and keeps the rest', () => {
    expect(maskUrlPassword('postgres://app:s3cret@db:5432/ridehail')).toBe('postgres://app:****@db:5432/ridehail');
    expect(maskUrlPassword('http://druid:8888')).toBe('http://druid:8888');
  });

  it('hides any value whose key names a secret', () => {
    expect(maskValue('kafka.sasl.password', 'hunter2')).toBe('****');
    expect(maskValue('kafka.sasl.username', 'alice')).toBe('alice');
  });
});
