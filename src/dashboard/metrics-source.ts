import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { RideMetrics } from '../contract/generated/ride_metrics.js';
import { validatorFor } from '../contract/validate.js';

/**
 * Where the dashboard's metrics come from. The server starts exactly one subscription and fans it
 * out to every page, so a source is started once and never per viewer.
 */
export type MetricsListener = (record: RideMetrics) => void;

export interface MetricsSource {
  start(listener: MetricsListener): Promise<void>;
  stop(): Promise<void>;
}

export const CITY_METRICS_TOPIC = 'ride_metrics_1m';
export const ZONE_METRICS_TOPIC = 'ride_metrics_zone_1m';

/** Fed by tests (and anything else in-process): records pushed are delivered synchronously. */
export class MemoryMetricsSource implements MetricsSource {
  /** How many times the source was started: the fan-out tests check it stays at one. */
  starts = 0;
  private listener: MetricsListener | undefined;

  async start(listener: MetricsListener): Promise<void> {
    this.starts += 1;
    this.listener = listener;
  }

  push(...records: RideMetrics[]): void {
    for (const record of records) this.listener?.(record);
  }

  async stop(): Promise<void> {
    this.listener = undefined;
  }
}

export interface KafkaSourceOptions {
  /** How far back to read the city topic: enough for the charts and "revenue today". */
  cityLookbackMs: number;
  /** How far back to read the zone topic: only the map's recent span. */
  zoneLookbackMs: number;
  topics?: { city: string; zone: string };
  now?: () => number;
  /** Told about anything that stops records flowing (missing topic, broker down); the source retries. */
  onProblem?: (message: string) => void;
  onInvalid?: (topic: string, offset: string) => void;
  retryMs?: number;
}

/**
 * One consumer in a group of its own (so every dashboard server sees every partition), starting
 * from the offsets at "now minus lookback" per topic, committing nothing: the dashboard is a
 * reader and its state is rebuilt from the topics on start. Revisions are sorted out by the state.
 */
export class KafkaMetricsSource implements MetricsSource {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly valid = validatorFor('ride_metrics.schema.json');
  private readonly topics: { city: string; zone: string };
  private readonly now: () => number;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaSourceOptions,
  ) {
    this.topics = options.topics ?? { city: CITY_METRICS_TOPIC, zone: ZONE_METRICS_TOPIC };
    this.now = options.now ?? Date.now;
  }

  /** Returns at once: the page shows "waiting" until the broker and topics are there. */
  async start(listener: MetricsListener): Promise<void> {
    this.stopped = false;
    void this.attempt(listener);
  }

  private async attempt(listener: MetricsListener): Promise<void> {
    if (this.stopped) return;
    try {
      await this.connect(listener);
      // stop() may have come while connecting; it could not disconnect what did not exist yet.
      if (this.stopped) await this.disconnect();
    } catch (error) {
      await this.disconnect();
      if (this.stopped) return;
      this.options.onProblem?.(`metrics stream unavailable (${(error as Error).message}); retrying`);
      this.retryTimer = setTimeout(() => void this.attempt(listener), this.options.retryMs ?? 5_000);
    }
  }

  private async connect(listener: MetricsListener): Promise<void> {
    const starts = await this.startOffsets();
    const consumer = this.kafka.consumer({
      groupId: `ridehail-dashboard-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
      // A dashboard must not create the pipeline's topics as a side effect of looking at them.
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      maxWaitTimeInMs: 500,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (event) => {
      if (this.stopped || event.payload.restart) return;
      this.options.onProblem?.(`metrics consumer crashed (${event.payload.error.message}); reconnecting`);
      void this.disconnect().then(() => this.attempt(listener));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topics.city, this.topics.zone], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        if (!message.value) return;
        let value: unknown;
        try {
          value = JSON.parse(message.value.toString('utf8'));
        } catch {
          value = undefined;
        }
        if (!this.valid(value)) {
          this.options.onInvalid?.(`${topic}/${partition}`, message.offset);
          return;
        }
        listener(value);
      },
    });
    // Seeking after run() is how kafkajs starts a group-less read at chosen offsets.
    for (const { topic, partition, offset } of starts) consumer.seek({ topic, partition, offset });
  }

  private async startOffsets(): Promise<{ topic: string; partition: number; offset: string }[]> {
    const admin = this.kafka.admin();
    this.admin = admin;
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = [this.topics.city, this.topics.zone].filter((t) => !existing.has(t));
      if (missing.length > 0) throw new Error(`topic ${missing.join(', ')} does not exist yet`);
      const out: { topic: string; partition: number; offset: string }[] = [];
      for (const [topic, lookback] of [
        [this.topics.city, this.options.cityLookbackMs],
        [this.topics.zone, this.options.zoneLookbackMs],
      ] as const) {
        const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, this.now() - lookback);
        for (const { partition, offset } of offsets) {
          if (Number(offset) >= 0) out.push({ topic, partition, offset });
        }
      }
      return out;
    } finally {
      this.admin = undefined;
      await admin.disconnect();
    }
  }

  private async disconnect(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // An attempt may be mid-connect to an unreachable broker; cut it short rather than wait out its retries.
    await this.admin?.disconnect().catch(() => undefined);
    await this.disconnect();
  }
}
