import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Kafka, Message, Producer } from 'kafkajs';
import type { KafkaSettings } from '../config/config.js';
import { topicByName, type TopicSpec } from '../contract/topics.js';
import { ensureTopics, withAdmin } from '../kafka/admin.js';
import { createKafka } from '../kafka/client.js';
import { systemClock, type Clock } from './clock.js';
import { toJsonLine, type OutRecord } from './records.js';

/**
 * Where records go. `write` may buffer and resolves once the sink can take more (backpressure);
 * `flush` resolves when everything written so far is delivered (acked by Kafka, handed to the OS).
 */
export interface EventSink {
  readonly description: string;
  write(records: readonly OutRecord[]): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Keeps everything in an array: for tests. */
export class MemorySink implements EventSink {
  readonly description = 'memory';
  readonly records: OutRecord[] = [];
  closed = false;

  async write(records: readonly OutRecord[]): Promise<void> {
    for (const record of records) this.records.push(record);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** JSON Lines, `{"topic","key","value"}` per line, to a file or stdout; replay with `ridehail produce`. */
export class JsonLinesSink implements EventSink {
  private failure: Error | undefined;

  constructor(private readonly stream: Writable, readonly description: string, private readonly ownsStream: boolean) {
    stream.on('error', (error: Error) => {
      this.failure = error;
    });
  }

  static toFile(path: string): JsonLinesSink {
    // A large buffer turns many small lines into few large writes.
    return new JsonLinesSink(createWriteStream(path, { highWaterMark: 1 << 20 }), path, true);
  }

  static toStdout(): JsonLinesSink {
    return new JsonLinesSink(process.stdout, 'stdout', false);
  }

  async write(records: readonly OutRecord[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (records.length === 0) return;
    let chunk = '';
    for (const record of records) chunk += toJsonLine(record);
    if (!this.stream.write(chunk)) await this.drained();
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.stream.off('error', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        this.stream.off('drain', onDrain);
        reject(error);
      };
      this.stream.once('drain', onDrain);
      this.stream.once('error', onError);
    });
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.stream.writableNeedDrain) await this.drained();
  }

  async close(): Promise<void> {
    await this.flush();
    if (!this.ownsStream) return;
    await new Promise<void>((resolve, reject) => {
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
  }
}

export interface KafkaSinkOptions {
  clientId?: string;
  /** Records per produce request; larger batches amortise the round trip. */
  batchRecords?: number;
  /** Connection attempts before giving up, with exponential backoff between them. */
  connectAttempts?: number;
  /** Told about each failed attempt before the next, e.g. to print "retrying in 2 s". */
  onConnectRetry?: (attempt: number, attempts: number, delayMs: number, error: Error) => void;
  signal?: AbortSignal;
  clock?: Clock;
}

/** What `ridehail topics create` uses by default. */
const DEFAULT_PARTITIONS = 3;

/** Kafka could not be reached or refused a batch; `message` says which and why. */
export class KafkaSinkError extends Error {
  override name = 'KafkaSinkError';
}

/**
 * Kafka through kafkajs: idempotent, acks from all in-sync replicas, records keyed so each key's
 * records stay in order on one partition. One batch is in flight while the next fills: kafkajs
 * serialises an idempotent producer's requests per broker anyway, and a second concurrent batch
 * could overtake a retried one.
 */
export class KafkaSink implements EventSink {
  readonly description: string;
  private pending = new Map<string, Message[]>();
  private pendingCount = 0;
  private inFlight: Promise<void> | undefined;
  private failure: Error | undefined;
  private readonly batchRecords: number;
  delivered = 0;

  private constructor(private readonly kafka: Kafka, private readonly producer: Producer, brokers: string[], batchRecords: number) {
    this.description = `kafka ${brokers.join(',')}`;
    this.batchRecords = batchRecords;
  }

  static async connect(settings: KafkaSettings, options: KafkaSinkOptions = {}): Promise<KafkaSink> {
    const attempts = options.connectAttempts ?? 5;
    const clock = options.clock ?? systemClock;
    // Connection retries are ours (with messages between them); kafkajs retries sends.
    const kafka = createKafka(settings, { clientId: options.clientId ?? 'ridehail-generate', retries: 0, connectionTimeout: 3_000 });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.connect();
        break;
      } catch (error) {
        await producer.disconnect().catch(() => undefined);
        if (attempt >= attempts || options.signal?.aborted) {
          throw new KafkaSinkError(
            `cannot reach Kafka at ${settings.brokers.join(',')} after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${(error as Error).message}`,
          );
        }
        const delayMs = Math.min(8_000, 500 * 2 ** (attempt - 1));
        options.onConnectRetry?.(attempt, attempts, delayMs, error as Error);
        await clock.sleep(delayMs, options.signal);
      }
    }
    return new KafkaSink(kafka, producer, settings.brokers, options.batchRecords ?? 5_000);
  }

  /**
   * Creates the topics that do not exist yet, as `ridehail topics create` would (its default of 3
   * partitions); existing topics are left alone. Returns the names created.
   */
  async ensureTopics(topics: readonly string[], partitions = DEFAULT_PARTITIONS): Promise<string[]> {
    const specs: TopicSpec[] = [...new Set(topics)].map(
      (name) => topicByName(name) ?? { name, description: 'created by ridehail produce', key: 'key', compacted: false },
    );
    const result = await withAdmin(this.kafka, (admin) => ensureTopics(admin, specs, { partitions }));
    return result.created;
  }

  async write(records: readonly OutRecord[]): Promise<void> {
    if (this.failure) throw this.failure;
    for (const record of records) {
      let messages = this.pending.get(record.topic);
      if (!messages) {
        messages = [];
        this.pending.set(record.topic, messages);
      }
      messages.push({ key: record.key, value: record.value });
    }
    this.pendingCount += records.length;
    if (this.pendingCount < this.batchRecords) return;
    // The next batch is full: wait for the one on the wire, then send this one.
    if (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure;
    this.startSend();
  }

  private startSend(): void {
    if (this.pendingCount === 0) return;
    const topicMessages = [...this.pending.entries()].map(([topic, messages]) => ({ topic, messages }));
    const count = this.pendingCount;
    this.pending = new Map();
    this.pendingCount = 0;
    // Record timestamps are left to the producer (send time): event times of a backfill or of an
    // injected "future" record would be rejected by brokers that bound timestamp skew.
    this.inFlight = this.producer
      .sendBatch({ topicMessages, acks: -1 })
      .then(
        () => {
          this.delivered += count;
        },
        (error: Error) => {
          this.failure = new KafkaSinkError(`Kafka refused a batch of ${count} records: ${error.message}`);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  async flush(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    this.startSend();
    if (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.producer.disconnect();
    }
  }
}
