import { RidehailError } from './errors.js';

/**
 * One line for the user, the whole story with --debug. Errors from clients (kafkajs, pg, fetch)
 * are translated where we know what they mean, so nobody has to read a stack trace to learn
 * that a broker is down.
 */
export function describeError(error: unknown, debug: boolean): string {
  if (debug) return error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (error instanceof RidehailError) {
    return `error: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  if (name.startsWith('KafkaJS') && /connect|ECONNREFUSED|broker|metadata/i.test(message)) {
    return `error: cannot reach Kafka (${message}).\nhint: start it with \`ridehail local up\` or point --brokers / KAFKA_BROKERS at a running cluster.`;
  }
  if (/ECONNREFUSED/.test(message) && /5432|postgres/i.test(message)) {
    return `error: cannot reach Postgres (${message}).\nhint: start it with \`ridehail local up\` or set DATABASE_URL.`;
  }
  return `error: ${message} (run with --debug for details)`;
}
