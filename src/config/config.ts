import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/**
 * Every setting resolves flag > environment > config file > default, and remembers which of the
 * four it came from so `ridehail config` can explain itself.
 */
export type Source = 'flag' | 'env' | 'file' | 'default';

export interface Sourced<T> {
  value: T;
  source: Source;
  /** The env var or file key the value came from, for the explanation. */
  origin?: string;
}

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

export interface RidehailConfig {
  kafka: KafkaSettings;
  /** Undefined means: use the embedded Postgres of the local stack. */
  databaseUrl: string | undefined;
  druidUrl: string;
  /** Root of the local stack's data, logs and pid files. */
  localDir: string;
  /** Where downloaded jars are cached across projects. */
  cacheDir: string;
  kafkaPortBase: number;
  postgresPort: number;
  /** Extra cities from the config file; validated by the generate stage, which owns their shape. */
  cities: unknown[];
}

export interface ResolvedConfig {
  config: RidehailConfig;
  sources: Record<string, Sourced<unknown>>;
  configFile: string | undefined;
}

export const DEFAULT_KAFKA_PORT_BASE = 19092;
export const DEFAULT_POSTGRES_PORT = 15432;

/** Flags that any command may pass through to configuration. */
export interface ConfigFlags {
  config?: string;
  brokers?: string;
  databaseUrl?: string;
  druidUrl?: string;
}

interface Setting<T> {
  key: string;
  env?: string;
  flag?: keyof ConfigFlags;
  parse: (raw: string, origin: string) => T;
  fromFile?: (raw: unknown, origin: string) => T;
  fallback: () => T;
}

const parseString = (raw: string): string => raw;
const parseBrokers = (raw: string, origin: string): string[] => {
  const brokers = raw.split(',').map((b) => b.trim()).filter(Boolean);
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError(`${origin}: "${broker}" is not host:port (expected e.g. 127.0.0.1:19092)`);
    }
  }
  if (brokers.length === 0) throw new ConfigError(`${origin}: no brokers given`);
  return brokers;
};
const parseBool = (raw: string, origin: string): boolean => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off|)$/i.test(raw)) return false;
  throw new ConfigError(`${origin}: "${raw}" is not a boolean (true/false)`);
};
const parsePort = (raw: string, origin: string): number => {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`${origin}: "${raw}" is not a port (1-65535)`);
  }
  return port;
};
const parseUrl = (raw: string, origin: string): string => {
  try {
    new URL(raw);
  } catch {
    throw new ConfigError(`${origin}: "${raw}" is not a URL`);
  }
  return raw;
};
const parseSasl = (raw: string, origin: string): SaslMechanism => {
  const value = raw.toLowerCase();
  if (value === 'plain' || value === 'scram-sha-256' || value === 'scram-sha-512') return value;
  throw new ConfigError(`${origin}: "${raw}" is not a SASL mechanism (plain, scram-sha-256, scram-sha-512)`);
};
/** File values may be JSON-typed; coerce them through the same parser as strings from env. */
const viaString =
  <T>(parse: (raw: string, origin: string) => T) =>
  (raw: unknown, origin: string): T => {
    if (Array.isArray(raw)) return parse(raw.join(','), origin);
    if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return parse(String(raw), origin);
    throw new ConfigError(`${origin}: expected a string, got ${JSON.stringify(raw)}`);
  };

const SETTINGS = {
  'kafka.brokers': {
    key: 'kafka.brokers', env: 'KAFKA_BROKERS', flag: 'brokers', parse: parseBrokers,
    fallback: () => [`127.0.0.1:${DEFAULT_KAFKA_PORT_BASE}`],
  } satisfies Setting<string[]>,
  'kafka.clientId': { key: 'kafka.clientId', env: 'KAFKA_CLIENT_ID', parse: parseString, fallback: () => 'ridehail' } satisfies Setting<string>,
  'kafka.ssl': { key: 'kafka.ssl', env: 'KAFKA_SSL', parse: parseBool, fallback: () => false } satisfies Setting<boolean>,
  'kafka.sasl.mechanism': {
    key: 'kafka.sasl.mechanism', env: 'KAFKA_SASL_MECHANISM', parse: parseSasl, fallback: () => undefined,
  } satisfies Setting<SaslMechanism | undefined>,
  'kafka.sasl.username': { key: 'kafka.sasl.username', env: 'KAFKA_SASL_USERNAME', parse: parseString, fallback: () => undefined } satisfies Setting<string | undefined>,
  'kafka.sasl.password': { key: 'kafka.sasl.password', env: 'KAFKA_SASL_PASSWORD', parse: parseString, fallback: () => undefined } satisfies Setting<string | undefined>,
  databaseUrl: {
    key: 'databaseUrl', env: 'DATABASE_URL', flag: 'databaseUrl', parse: parseUrl, fallback: () => undefined,
  } satisfies Setting<string | undefined>,
  druidUrl: { key: 'druidUrl', env: 'DRUID_URL', flag: 'druidUrl', parse: parseUrl, fallback: () => 'http://127.0.0.1:18888' } satisfies Setting<string>,
  localDir: { key: 'localDir', env: 'RIDEHAIL_HOME', parse: (raw) => resolve(raw), fallback: () => resolve('.ridehail') } satisfies Setting<string>,
  cacheDir: {
    key: 'cacheDir', env: 'RIDEHAIL_CACHE', parse: (raw) => resolve(raw),
    fallback: () => join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ridehail'),
  } satisfies Setting<string>,
  kafkaPortBase: { key: 'kafkaPortBase', env: 'RIDEHAIL_KAFKA_PORT', parse: parsePort, fallback: () => DEFAULT_KAFKA_PORT_BASE } satisfies Setting<number>,
  postgresPort: { key: 'postgresPort', env: 'RIDEHAIL_POSTGRES_PORT', parse: parsePort, fallback: () => DEFAULT_POSTGRES_PORT } satisfies Setting<number>,
} as const;

type SettingKey = keyof typeof SETTINGS;

export const DEFAULT_CONFIG_FILE = 'ridehail.config.json';

function readConfigFile(flagPath: string | undefined, cwd: string): { path?: string; data: Record<string, unknown> } {
  const path = flagPath ? resolve(cwd, flagPath) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (flagPath) throw new ConfigError(`config file ${flagPath} does not exist`);
    return { data: {} };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  return { path, data: parsed as Record<string, unknown> };
}

function lookup(data: Record<string, unknown>, dotted: string): unknown {
  let node: unknown = data;
  for (const part of dotted.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export function resolveConfig(
  flags: ConfigFlags = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): ResolvedConfig {
  const file = readConfigFile(flags.config, cwd);
  const sources: Record<string, Sourced<unknown>> = {};

  const get = <K extends SettingKey>(name: K): ReturnType<(typeof SETTINGS)[K]['fallback']> => {
    const setting: Setting<unknown> = SETTINGS[name];
    const flagValue = setting.flag ? flags[setting.flag] : undefined;
    let resolved: Sourced<unknown>;
    if (flagValue !== undefined) {
      const origin = `--${setting.flag!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      resolved = { value: setting.parse(flagValue, origin), source: 'flag', origin };
    } else if (setting.env && env[setting.env] !== undefined && env[setting.env] !== '') {
      resolved = { value: setting.parse(env[setting.env]!, setting.env), source: 'env', origin: setting.env };
    } else if (lookup(file.data, setting.key) !== undefined) {
      const origin = `${file.path}: ${setting.key}`;
      const parseFile = setting.fromFile ?? viaString(setting.parse);
      resolved = { value: parseFile(lookup(file.data, setting.key), origin), source: 'file', origin };
    } else {
      resolved = { value: setting.fallback(), source: 'default' };
    }
    sources[setting.key] = resolved;
    return resolved.value as ReturnType<(typeof SETTINGS)[K]['fallback']>;
  };

  const mechanism = get('kafka.sasl.mechanism');
  const username = get('kafka.sasl.username');
  const password = get('kafka.sasl.password');
  if (mechanism && (!username || !password)) {
    throw new ConfigError('KAFKA_SASL_MECHANISM is set but KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is missing');
  }

  const cities = lookup(file.data, 'cities') ?? [];
  if (!Array.isArray(cities)) throw new ConfigError(`${file.path}: cities must be an array`);
  if (cities.length > 0) sources.cities = { value: `${cities.length} custom`, source: 'file', origin: `${file.path}: cities` };

  const config: RidehailConfig = {
    kafka: {
      brokers: get('kafka.brokers'),
      clientId: get('kafka.clientId'),
      ssl: get('kafka.ssl'),
      ...(mechanism && username && password ? { sasl: { mechanism, username, password } } : {}),
    },
    databaseUrl: get('databaseUrl'),
    druidUrl: get('druidUrl'),
    localDir: get('localDir'),
    cacheDir: get('cacheDir'),
    kafkaPortBase: get('kafkaPortBase'),
    postgresPort: get('postgresPort'),
    cities,
  };
  return { config, sources, configFile: file.path };
}

/** The connection string the local stack's embedded Postgres answers on. */
export function localDatabaseUrl(config: RidehailConfig): string {
  return `postgres://ridehail:ridehail@127.0.0.1:${config.postgresPort}/ridehail`;
}

/** Where the pipeline's Postgres is: the configured one, else the local stack's. */
export function effectiveDatabaseUrl(config: RidehailConfig): string {
  return config.databaseUrl ?? localDatabaseUrl(config);
}
