import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from '../kafka/kafkajs.js';

export interface KafkaClusterInfo {
  readonly clusterId: string;
  /** Brokers the cluster metadata lists: registered and not fenced. */
  readonly brokers: readonly { readonly nodeId: number; readonly host: string; readonly port: number }[];
}

/** One metadata round trip, failing fast (no retries, short timeouts). */
export async function describeKafka(bootstrapServers: string, timeoutMs = 5_000): Promise<KafkaClusterInfo> {
  const kafka = new Kafka({
    clientId: 'ridehail-local-health',
    brokers: bootstrapServers.split(','),
    // Refused connections are the expected answer while a broker boots; don't print them.
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: Math.min(timeoutMs, 3_000),
    requestTimeout: timeoutMs,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return { clusterId: cluster.clusterId, brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })) };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface WaitForKafkaOptions {
  readonly bootstrapServers: string;
  /** Ready once every one of the bootstrap servers lists this many brokers registered. */
  readonly expectedBrokers: number;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Called before each attempt; throw from it to give up early (e.g. a process we started died). */
  readonly check?: () => void | Promise<void>;
}

/**
 * Waits until each bootstrap server answers metadata requests with all expected brokers
 * registered. Each is asked on its own: brokers replay registrations from the metadata log at
 * their own pace, and one that has not caught up yet answers with fewer, so a cluster that one
 * broker calls complete could still show a client (or `local status`) a broker missing.
 */
export async function waitForKafka(opts: WaitForKafkaOptions): Promise<KafkaClusterInfo> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const servers = opts.bootstrapServers.split(',');
  let last: string;
  for (;;) {
    await opts.check?.();
    const answers = await Promise.all(
      servers.map((server) =>
        describeKafka(server).then(
          (info) => ({ server, info, problem: info.brokers.length >= opts.expectedBrokers ? undefined : `${info.brokers.length} of ${opts.expectedBrokers} brokers registered` }),
          (err: Error) => ({ server, info: undefined, problem: err.message }),
        ),
      ),
    );
    const behind = answers.find((a) => a.problem !== undefined);
    if (behind === undefined) return answers[0]!.info!;
    last = servers.length === 1 ? behind.problem! : `${behind.server}: ${behind.problem!}`;
    if (Date.now() >= deadline) {
      throw new Error(`Kafka at ${opts.bootstrapServers} not ready after ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s (${last})`);
    }
    await sleep(opts.intervalMs ?? 500);
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port (controllers answer only the Kafka protocol of their quorum). */
export function acceptsConnections(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
