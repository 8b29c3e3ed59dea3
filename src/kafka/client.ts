import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from './kafkajs.js';
import type { KafkaSettings } from '../config/config.js';

// kafkajs warns on every producer about its v2 partitioner change; our keys are new, so the
// default (murmur2, the Java client's) is what we want and the warning is noise.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export interface ClientOptions {
  /** Overrides the configured client id, so broker logs tell the stages apart. */
  clientId?: string;
  /** kafkajs logs at ERROR by default; stages that retry on their own turn it down. */
  logLevel?: logLevel;
  /** How long connecting may take before a clear error, in ms. */
  connectionTimeout?: number;
  retries?: number;
}

export function kafkaConfig(settings: KafkaSettings, options: ClientOptions = {}): KafkaConfig {
  const sasl: SASLOptions | undefined = settings.sasl
    ? ({ mechanism: settings.sasl.mechanism, username: settings.sasl.username, password: settings.sasl.password } as SASLOptions)
    : undefined;
  return {
    clientId: options.clientId ?? settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
    ...(sasl ? { sasl } : {}),
    connectionTimeout: options.connectionTimeout ?? 3_000,
    logLevel: options.logLevel ?? logLevel.NOTHING,
    retry: { retries: options.retries ?? 5, initialRetryTime: 300, maxRetryTime: 5_000 },
  };
}

export function createKafka(settings: KafkaSettings, options: ClientOptions = {}): Kafka {
  return new Kafka(kafkaConfig(settings, options));
}
