import { randomUUID } from 'node:crypto';
import type { Consumer, ConsumerConfig, Kafka, Message, Producer } from 'kafkajs';
import type { Commit, PartitionWriter, SourceHandler, StageSink, StageSource } from './runner.js';
import type { OutputRecord, StateEntry, TopicPartition } from './records.js';
import { sourceId } from './records.js';

/**
 * The thin Kafka side of the runner: a consumer-group source, a sink that writes each commit as one
 * Kafka transaction, and the changelog reader used to restore state.
 *
 * Exactly-once, kafkajs style: kafkajs' TxnOffsetCommit carries no group generation (no KIP-447
 * fencing), so the only safe fencing is the original one — one transactional id per input
 * partition (`<group>--<topic>--<partition>`). Whoever owns a partition opens its producer, which
 * bumps the epoch and aborts whatever the previous owner left open; a zombie's later commit fails.
 */
const TRANSACTION_RETRY = { initialRetryTime: 5, maxRetryTime: 1_000, retries: 30 };

export interface KafkaStageConfig {
  kafka: Kafka;
  group: string;
  topics: string[];
  changelogTopic: string;
  changelogPartitions: number;
  transactional: boolean;
  /** Must stay below the broker's transaction.max.timeout.ms (15 min by default). */
  transactionTimeoutMs: number;
  /** Partitions processed at the same time, each in its own transaction. */
  concurrency: number;
  maxBytesPerPartition: number;
  onError?(error: unknown): void;
}

export interface KafkaStage {
  source: StageSource;
  sink: StageSink;
  /** Records written per output topic (committed transactions only). */
  written: Map<string, number>;
  close(): Promise<void>;
}

export function kafkaStage(config: KafkaStageConfig): KafkaStage {
  let consumer: Consumer | undefined;
  const written = new Map<string, number>();
  const countWritten = (outputs: OutputRecord[]): void => {
    for (const o of outputs) written.set(o.topic, (written.get(o.topic) ?? 0) + 1);
  };
  let sharedProducer: Promise<Producer> | undefined;

  const source: StageSource = {
    async run(handler: SourceHandler, signal: AbortSignal): Promise<void> {
      const c = config.kafka.consumer(sourceConsumerConfig(config.group, config.maxBytesPerPartition));
      consumer = c;
      let owned = new Map<string, TopicPartition>();
      let membership: Promise<void> = Promise.resolve();
      c.on(c.events.GROUP_JOIN, ({ payload }) => {
        const next = new Map<string, TopicPartition>();
        for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
          for (const partition of partitions) next.set(sourceId({ topic, partition }), { topic, partition });
        }
        const revoked = [...owned].filter(([id]) => !next.has(id)).map(([, tp]) => tp);
        const added = [...next].filter(([id]) => !owned.has(id)).map(([, tp]) => tp);
        owned = next;
        membership = membership
          .then(async () => {
            await handler.revoked(revoked);
            await handler.assigned(added);
          })
          .catch((error: unknown) => config.onError?.(error));
      });
      await c.connect();
      try {
        await c.subscribe({ topics: config.topics, fromBeginning: true });
        await c.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: config.concurrency,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
            await membership;
            if (!isRunning() || isStale() || batch.messages.length === 0) return;
            const tp = { topic: batch.topic, partition: batch.partition };
            const records = batch.messages.map((m) => ({
              topic: batch.topic,
              partition: batch.partition,
              offset: Number(m.offset),
              key: m.key,
              value: m.value,
              timestamp: Number(m.timestamp),
            }));
            const position = Number(batch.lastOffset()) + 1;
            await handler.batch(tp, records, position >= Number(batch.highWatermark));
            resolveOffset(batch.lastOffset());
            await heartbeat();
          },
        });
        await abortion(signal);
      } finally {
        // A consumer stuck in a rebalance can take its time to leave; do not hang the exit on it.
        await Promise.race([c.disconnect(), new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
        consumer = undefined;
      }
    },
  };

  const changelogRecords = (tp: TopicPartition, state: StateEntry[]): Message[] => {
    const prefix = sourceId(tp);
    const partition = tp.partition % config.changelogPartitions;
    return state.map((entry) => ({ key: `${prefix}|${entry.key}`, value: entry.value, partition }));
  };

  const topicMessages = (tp: TopicPartition, commit: Commit): { topic: string; messages: Message[] }[] => {
    const byTopic = new Map<string, Message[]>();
    for (const o of commit.outputs) {
      let messages = byTopic.get(o.topic);
      if (!messages) byTopic.set(o.topic, (messages = []));
      messages.push({ key: o.key, value: o.value, ...(o.headers ? { headers: o.headers } : {}), ...(o.partition !== undefined ? { partition: o.partition } : {}) });
    }
    if (commit.state.length > 0) byTopic.set(config.changelogTopic, changelogRecords(tp, commit.state));
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  };

  const sink: StageSink = {
    async openWriter(tp: TopicPartition): Promise<PartitionWriter> {
      if (!config.transactional) return nonTransactionalWriter(tp);
      const producer = config.kafka.producer({
        transactionalId: `${config.group}--${tp.topic}--${tp.partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: config.transactionTimeoutMs,
        allowAutoTopicCreation: false,
        // Starting a transaction right after the previous commit, the coordinator answers
        // CONCURRENT_TRANSACTIONS until the commit markers are written (a few ms). kafkajs retries;
        // at its default first backoff (300 ms) every such retry is a latency spike.
        retry: TRANSACTION_RETRY,
      });
      await producer.connect();
      // The first transaction() runs InitProducerId: that is the fencing step. Ending it at once
      // sends nothing (kafkajs skips EndTxn when no partition joined the transaction).
      const fence = await producer.transaction();
      await fence.abort();
      return {
        async commit(commit: Commit): Promise<void> {
          const tx = await producer.transaction();
          try {
            for (const chunk of requestSized(topicMessages(tp, commit))) await tx.sendBatch({ topicMessages: chunk, acks: -1 });
            if (commit.nextOffset !== null) {
              await tx.sendOffsets({
                consumerGroupId: config.group,
                topics: [{ topic: tp.topic, partitions: [{ partition: tp.partition, offset: String(commit.nextOffset) }] }],
              });
            }
            await tx.commit();
          } catch (error) {
            await tx.abort().catch(() => undefined);
            throw error;
          }
          countWritten(commit.outputs);
        },
        close: () => producer.disconnect(),
      };
    },
    readState: (partitions) => readChangelog(config.kafka, config.changelogTopic, new Set(partitions.map(sourceId)), config.group),
  };

  async function nonTransactionalWriter(tp: TopicPartition): Promise<PartitionWriter> {
    sharedProducer ??= (async () => {
      const producer = config.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      return producer;
    })();
    const producer = await sharedProducer;
    return {
      // At-least-once: outputs and state first, the offset after; a crash in between replays the batch.
      async commit(commit: Commit): Promise<void> {
        for (const chunk of requestSized(topicMessages(tp, commit))) await producer.sendBatch({ topicMessages: chunk, acks: -1 });
        if (commit.nextOffset !== null && consumer) {
          await consumer.commitOffsets([{ topic: tp.topic, partition: tp.partition, offset: String(commit.nextOffset) }]);
        }
        countWritten(commit.outputs);
      },
      close: async () => undefined,
    };
  }

  return {
    source,
    sink,
    written,
    async close() {
      if (sharedProducer) await (await sharedProducer).disconnect();
    },
  };
}

/** The stage consumer's settings; the benchmark's no-op consumer reads with the same ones. */
export function sourceConsumerConfig(groupId: string, maxBytesPerPartition: number): ConsumerConfig {
  return {
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxBytesPerPartition,
    maxBytes: maxBytesPerPartition * 8,
    maxWaitTimeInMs: 500,
    // A killed member holds its partitions until its session expires: keep that short. Batches
    // are bounded (fetch bytes), so a live member heartbeats well within it.
    sessionTimeout: 10_000,
    rebalanceTimeout: 30_000,
    heartbeatInterval: 1_000,
    // A failed transaction throws out of eachBatch; rejoining re-reads committed offsets and
    // state, which is exactly the recovery we want, so always restart.
    retry: { retries: 10, restartOnFailure: async () => true },
  };
}

/**
 * kafkajs writes each partition's share of a request as one record batch, and the broker refuses a
 * batch above max.message.bytes (1 MiB by default): a large commit — a window firing hundreds of
 * zones, say — goes out in several requests of the same transaction instead.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

export function* requestSized(topics: { topic: string; messages: Message[] }[], maxBytes = MAX_REQUEST_BYTES): Generator<{ topic: string; messages: Message[] }[]> {
  let chunk: { topic: string; messages: Message[] }[] = [];
  let bytes = 0;
  for (const { topic, messages } of topics) {
    let current: Message[] = [];
    chunk.push({ topic, messages: current });
    for (const message of messages) {
      const size = sizeOf(message.key) + sizeOf(message.value) + 64;
      if (bytes + size > maxBytes && bytes > 0) {
        yield chunk.filter((t) => t.messages.length > 0);
        current = [];
        chunk = [{ topic, messages: current }];
        bytes = 0;
      }
      current.push(message);
      bytes += size;
    }
  }
  const rest = chunk.filter((t) => t.messages.length > 0);
  if (rest.length > 0) yield rest;
}

function sizeOf(data: Message['key'] | Message['value']): number {
  if (data === null || data === undefined) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

/**
 * Reads the committed (read_committed) latest value of every changelog key that belongs to one of
 * `sources`, up to the log end as of now.
 */
export async function readChangelog(kafka: Kafka, topic: string, sources: Set<string>, group: string): Promise<Map<string, StateEntry[]>> {
  const latest = new Map<string, string | null>();
  await readTopicToEnd(kafka, topic, `${group}-restore`, (m) => {
    const key = m.key?.toString('utf8') ?? '';
    const bar = key.indexOf('|');
    if (bar !== -1 && sources.has(key.slice(0, bar))) latest.set(key, m.value ? m.value.toString('utf8') : null);
  });
  const bySource = new Map<string, StateEntry[]>();
  for (const [fullKey, value] of latest) {
    if (value === null) continue;
    const bar = fullKey.indexOf('|');
    const source = fullKey.slice(0, bar);
    let entries = bySource.get(source);
    if (!entries) bySource.set(source, (entries = []));
    entries.push({ key: fullKey.slice(bar + 1), value });
  }
  return bySource;
}

export interface ReadMessage {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Reads every committed record of `topic` (read_committed), from the start to the end offsets as
 * of the call. kafkajs has no manual assignment, so a throwaway group reads and is deleted after.
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, groupPrefix: string, onMessage: (m: ReadMessage) => void, timeoutMs = 120_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<number, number>();
    for (const p of await admin.fetchTopicOffsets(topic)) {
      if (Number(p.high) > Number(p.low)) ends.set(p.partition, Number(p.high));
    }
    if (ends.size === 0) return;
    const groupId = `${groupPrefix}-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxBytesPerPartition: 8 << 20, maxWaitTimeInMs: 200 });
    const remaining = new Set(ends.keys());
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const progress = (partition: number, lastOffset: number): void => {
      if (lastOffset + 1 >= (ends.get(partition) ?? 0)) remaining.delete(partition);
      if (remaining.size === 0) finished();
    };
    // Batches of only control records or aborted data never reach eachBatch; this event still says how far we got.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => progress(payload.partition, Number(payload.lastOffset)));
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = ends.get(batch.partition) ?? 0;
          for (const m of batch.messages) {
            if (Number(m.offset) >= end) break;
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(m.headers ?? {})) if (value !== undefined) headers[name] = value.toString();
            onMessage({ partition: batch.partition, offset: Number(m.offset), key: m.key, value: m.value, headers });
          }
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reading ${topic} to its end took longer than ${timeoutMs / 1000}s`)), timeoutMs);
      });
      try {
        await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
  }
}

function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
