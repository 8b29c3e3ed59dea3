import { createWriteStream, existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KafkaSettings } from '../config/config.js';
import { systemClock, type Clock } from './clock.js';
import { deserializeError, ProducerCore, type ProducerRequest, type ProducerSetup, type SerializedError } from './kafka-producer.js';
import { RecordPacker } from './record-pack.js';
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
  /** Run the producer on its own thread (the default where its script exists) or inline. */
  thread?: boolean;
}

/** What `ridehail topics create` uses by default. */
const DEFAULT_PARTITIONS = 3;
/**
 * Records per produce request. kafkajs groups a request's records per partition by copying the
 * group's array for every record, so its cost grows with the square of this; measured on the
 * local broker, 2,000 beats both 1,000 (more round trips) and 5,000.
 */
const DEFAULT_BATCH_RECORDS = 2_000;
/** Batches handed to the producer and not yet acknowledged; bounds memory, keeps it busy. */
const MAX_OUTSTANDING_BATCHES = 3;

/** Kafka could not be reached or refused a batch; `message` says which and why. */
export class KafkaSinkError extends Error {
  override name = 'KafkaSinkError';
}

/** How the sink talks to its producer: a worker thread, or the same code inline. */
interface ProducerChannel {
  request(request: ProducerRequest, transfer?: ArrayBuffer[]): Promise<unknown>;
  terminate(): Promise<void>;
}

const WORKER_SCRIPT = new URL('./kafka-worker.js', import.meta.url);
const PRODUCER_YOUNG_GENERATION_MB = 64;

class WorkerChannel implements ProducerChannel {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private dead: Error | undefined;

  constructor(setup: ProducerSetup) {
    // kafkajs allocates a zeroed buffer per record: with a young generation larger than V8's
    // default, the thread spent about a sixth less of its busy time in GC (CPU profiles).
    this.worker = new Worker(WORKER_SCRIPT, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: PRODUCER_YOUNG_GENERATION_MB } });
    this.worker.on('message', (reply: { id: number; ok: boolean; value?: unknown; error?: SerializedError }) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(deserializeError(reply.error ?? { name: 'Error', message: 'unknown producer error' }));
    });
    const fail = (error: Error): void => {
      this.dead ??= error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the Kafka producer thread exited (code ${code})`)));
  }

  request(request: ProducerRequest, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, request }, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.dead ??= new Error('the Kafka producer thread was stopped');
    await this.worker.terminate();
  }
}

class InlineChannel implements ProducerChannel {
  private readonly core: ProducerCore;

  constructor(setup: ProducerSetup) {
    this.core = new ProducerCore(setup);
  }

  request(request: ProducerRequest): Promise<unknown> {
    return this.core.handle(request);
  }

  async terminate(): Promise<void> {}
}

/**
 * Kafka through kafkajs: idempotent, acks from all in-sync replicas, records keyed so each key's
 * records stay in order on one partition. Records are packed here and produced on a separate
 * thread, one request at a time (kafkajs serialises an idempotent producer's requests per broker
 * anyway, and a concurrent request could overtake a retried one), while a few more batches queue.
 */
export class KafkaSink implements EventSink {
  readonly description: string;
  private packer = new RecordPacker();
  private readonly outstanding: Promise<void>[] = [];
  private failure: Error | undefined;
  private closed = false;
  delivered = 0;

  private constructor(private readonly channel: ProducerChannel, brokers: string[], private readonly batchRecords: number) {
    this.description = `kafka ${brokers.join(',')}`;
  }

  static async connect(settings: KafkaSettings, options: KafkaSinkOptions = {}): Promise<KafkaSink> {
    const attempts = options.connectAttempts ?? 5;
    const clock = options.clock ?? systemClock;
    const setup: ProducerSetup = { settings, clientId: options.clientId ?? 'ridehail-generate' };
    const threaded = options.thread ?? existsSync(fileURLToPath(WORKER_SCRIPT));
    const channel: ProducerChannel = threaded ? new WorkerChannel(setup) : new InlineChannel(setup);
    const where = settings.brokers.join(',');
    // A function, not a value: the signal can fire while a connect or a backoff is awaited.
    const stopped = (): boolean => options.signal?.aborted === true;
    for (let attempt = 1; ; attempt++) {
      try {
        await channel.request({ op: 'connect' });
        break;
      } catch (error) {
        const message = (error as Error).message;
        if (attempt < attempts && !stopped()) {
          const delayMs = Math.min(8_000, 500 * 2 ** (attempt - 1));
          options.onConnectRetry?.(attempt, attempts, delayMs, error as Error);
          await clock.sleep(delayMs, options.signal);
          if (!stopped()) continue;
        }
        await channel.terminate();
        const tried = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
        // Stopped by the user (a signal) is not the same as given up: the message says which.
        throw new KafkaSinkError(
          stopped()
            ? `stopped while connecting to Kafka at ${where}: not reachable in ${tried} (last: ${message})`
            : `cannot reach Kafka at ${where} after ${tried}: ${message}`,
        );
      }
    }
    return new KafkaSink(channel, settings.brokers, options.batchRecords ?? DEFAULT_BATCH_RECORDS);
  }

  /**
   * Creates the topics that do not exist yet, as `ridehail topics create` would (its default of 3
   * partitions); existing topics are left alone. Returns the names created.
   */
  async ensureTopics(topics: readonly string[], partitions = DEFAULT_PARTITIONS): Promise<string[]> {
    return (await this.channel.request({ op: 'ensureTopics', topics: [...topics], partitions })) as string[];
  }

  async write(records: readonly OutRecord[]): Promise<void> {
    if (this.failure) throw this.failure;
    for (const record of records) {
      this.packer.add(record);
      if (this.packer.count >= this.batchRecords) await this.send();
    }
  }

  /** Hands the packed records to the producer, first waiting while too many are unacknowledged. */
  private async send(): Promise<void> {
    if (this.packer.count === 0) return;
    while (this.outstanding.length >= MAX_OUTSTANDING_BATCHES) await this.outstanding[0];
    if (this.failure) throw this.failure;
    const packed = this.packer.take();
    const count = packed.count;
    const acked: Promise<void> = this.channel.request({ op: 'send', packed }, [packed.buffer]).then(
      () => {
        this.delivered += count;
      },
      (error: Error) => {
        this.failure ??= new KafkaSinkError(`Kafka refused a batch of ${count} records: ${error.message}`);
      },
    ).finally(() => {
      this.outstanding.splice(this.outstanding.indexOf(acked), 1);
    });
    this.outstanding.push(acked);
  }

  async flush(): Promise<void> {
    await this.send();
    await Promise.all(this.outstanding);
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      try {
        await this.channel.request({ op: 'close' });
      } finally {
        await this.channel.terminate();
      }
    }
  }
}
