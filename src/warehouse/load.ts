import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import type { Consumer, Kafka } from 'kafkajs';
import { RidehailError } from '../cli/errors.js';
import {
  LOADED_TOPICS, addToBatch, batchSize, emptyBatch, prepareFileLine, prepareRecord, zeroTotals,
  type Batch, type LoadTotals, type Prepared,
} from './loader.js';
import { readOffsets } from './offsets.js';
import type { PgSession } from './session.js';
import { applyBatch, rebuildDrivers, type ApplyOptions, type BatchResult } from './sink.js';
import { Transformer } from './transformer.js';

export const DEFAULT_BATCH_SIZE = 5_000;
export const DEFAULT_GROUP = 'ridehail-warehouse';
/** Under --follow, how often dim_driver catches up with the driver states loaded meanwhile. */
export const DRIVER_REBUILD_INTERVAL_MS = 30_000;

export interface LoadProgress {
  totals: LoadTotals;
  lastBatch: BatchResult;
  source: string;
}

export interface LoadOptions {
  salt: string;
  batchSize?: number;
  onBatch?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
  apply?: ApplyOptions;
}

export interface LoadSummary extends LoadTotals {
  source: string;
  elapsedMs: number;
  rowsPerSecond: number;
}

function accumulate(totals: LoadTotals, result: BatchResult): void {
  if (result.batchId !== null) totals.batches += 1;
  totals.rows += result.rows;
  totals.rejected += result.rejected;
  totals.ignored += result.ignored;
  totals.alreadyLoaded += result.alreadyLoaded;
}

/**
 * Runs `body` with a transformer on a second connection; afterwards (also after a failure or a
 * shutdown) transforms what is staged and brings dim_driver up to date. What a crash leaves
 * staged but untransformed, the next run transforms first.
 */
async function withTransformer<T>(session: PgSession, body: (transformer: Transformer) => Promise<T>): Promise<T> {
  const side = session.fork();
  const transformer = new Transformer(side);
  transformer.start();
  try {
    const result = await body(transformer);
    // Everything is staged. While the transformer works through the last batches, the loader's
    // connection, idle now, brings dim_driver up to date with the states transformed so far
    // (a rebuild beside transforms is what --follow does every 30 s); the rebuild after the
    // drain then only has the drivers of those last batches left.
    const [drained, early] = await Promise.allSettled([transformer.drain(), session.run((c) => rebuildDrivers(c))]);
    if (drained.status === 'rejected') throw drained.reason;
    if (early.status === 'rejected') throw early.reason;
    await session.run((c) => rebuildDrivers(c));
    return result;
  } catch (error) {
    await transformer.drain().catch(() => undefined);
    throw error;
  } finally {
    await side.close();
  }
}

function summarise(source: string, totals: LoadTotals, started: number): LoadSummary {
  const elapsedMs = Date.now() - started;
  return { source, ...totals, elapsedMs, rowsPerSecond: elapsedMs > 0 ? Math.round((totals.rows / elapsedMs) * 1000) : 0 };
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Loads a JSON Lines file written by `generate --out`. The file's identity is the sha256 of its
 * content and each line's number is its offset, so re-loading the same file (under any name)
 * loads nothing, and a load killed halfway resumes at the first uncommitted line.
 */
export async function loadFile(session: PgSession, path: string, options: LoadOptions): Promise<LoadSummary & { sha256: string; lines: number }> {
  const started = Date.now();
  let sha256: string;
  try {
    sha256 = await fileSha256(path);
  } catch (error) {
    throw new RidehailError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const source = `file ${basename(path)} (sha256 ${sha256.slice(0, 12)})`;
  await session.run((c) =>
    c.query('INSERT INTO ridehail.loaded_files (sha256, path, lines) VALUES ($1, $2, 0) ON CONFLICT (sha256) DO NOTHING', [sha256, path]),
  );
  return withTransformer(session, async (transformer) => {
    const stored = await session.run((c) => readOffsets(c, 'file', sha256));
    const resumeAt = stored[0]?.nextOffset ?? 0;
    const size = options.batchSize ?? DEFAULT_BATCH_SIZE;
    const totals = zeroTotals();

    const flush = async (batch: Batch): Promise<void> => {
      if (batchSize(batch) === 0) return;
      transformer.check();
      const result = await session.run((c) => applyBatch(c, batch, options.apply));
      transformer.nudge();
      accumulate(totals, result);
      options.onBatch?.({ totals, lastBatch: result, source });
    };
    // One batch in Postgres while the next is parsed and validated here: the two overlap, and
    // batches still commit strictly in order.
    let inFlight: Promise<void> = Promise.resolve();
    const submit = async (batch: Batch): Promise<void> => {
      await inFlight;
      inFlight = flush(batch);
      inFlight.catch(() => undefined);
    };

    let batch = emptyBatch('file', sha256, 0, resumeAt);
    let lineNumber = -1;
    const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      lineNumber += 1;
      // Lines before the stored offset are in the warehouse: skip them unparsed.
      if (lineNumber < resumeAt) continue;
      if (options.signal?.aborted) break;
      const prepared: Prepared = line.trim() === '' ? { kind: 'ignored', offset: lineNumber } : prepareFileLine(line, sha256, lineNumber, options.salt);
      addToBatch(batch, prepared);
      if (batchSize(batch) >= size) {
        await submit(batch);
        batch = emptyBatch('file', sha256, 0, lineNumber + 1);
      }
    }
    await submit(batch);
    await inFlight;
    const lineCount = lineNumber + 1;
    if (!options.signal?.aborted) {
      await session.run((c) =>
        c.query('UPDATE ridehail.loaded_files SET lines = $2, completed_at = coalesce(completed_at, now()) WHERE sha256 = $1', [sha256, lineCount]),
      );
    }
    return { ...summarise(source, totals, started), sha256, lines: lineCount };
  });
}

export interface KafkaLoadOptions extends LoadOptions {
  groupId?: string;
  /** Keep consuming until the signal aborts; otherwise stop once caught up with the end offsets seen at start. */
  follow?: boolean;
  /** Without --follow: stop after this long without new records even if not caught up (ms). */
  idleMs?: number;
  onWarning?: (message: string) => void;
  /** Physical topic per contract topic, where they differ (a prefixed environment, a test). */
  topicNames?: Partial<Record<string, string>>;
}

/**
 * Loads the raw topics and enriched_rides through a consumer group. Postgres, not Kafka, says
 * where loading resumes: on every assignment the consumer seeks each partition to the offset
 * stored in Postgres (its beginning where none is stored), whatever the group has committed.
 * The offsets kafkajs commits afterwards only mirror what Postgres has committed (a batch's
 * offset is resolved after its COMMIT), for monitoring tools. Should Kafka ever deliver from an
 * older position (a rebalance between two loaders), the offset fence in each batch's
 * transaction skips what is already loaded.
 */
export async function loadKafka(session: PgSession, kafka: Kafka, options: KafkaLoadOptions): Promise<LoadSummary> {
  const started = Date.now();
  const size = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const admin = kafka.admin();
  await admin.connect();
  let topics: string[];
  const endOffsets = new Map<string, number>();
  const startOffsets = new Map<string, number>();
  // Physical name → the contract topic that decides its schema and staging view.
  const logicalOf = new Map(Object.keys(LOADED_TOPICS).map((t) => [options.topicNames?.[t] ?? t, t]));
  const wanted = [...logicalOf.keys()];
  try {
    const existing = new Set(await admin.listTopics());
    topics = wanted.filter((t) => existing.has(t));
    const missing = wanted.filter((t) => !existing.has(t));
    if (topics.length === 0) {
      throw new RidehailError(`none of the warehouse's topics exist (${wanted.join(', ')})`, {
        hint: 'create them with `ridehail topics create`',
      });
    }
    if (missing.length > 0) options.onWarning?.(`not loading ${missing.join(', ')}: no such topic`);
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        endOffsets.set(`${topic}/${p.partition}`, Number(p.high));
        startOffsets.set(`${topic}/${p.partition}`, Number(p.low));
      }
    }
  } finally {
    await admin.disconnect();
  }

  const source = `kafka ${topics.join(', ')}`;
  const totals = zeroTotals();
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId ?? DEFAULT_GROUP,
    allowAutoTopicCreation: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  let lastActivity = Date.now();
  let failure: unknown;

  const caughtUp = async (): Promise<boolean> => {
    const stored = new Map((await session.run((c) => readOffsets(c, 'kafka'))).map((o) => [`${o.stream}/${o.partition}`, o.nextOffset]));
    for (const [tp, high] of endOffsets) if ((stored.get(tp) ?? startOffsets.get(tp) ?? 0) < high) return false;
    return true;
  };

  return withTransformer(session, async (transformer) => {
    await consumer.connect();
    try {
      // Where each partition resumes, read before joining: the seek must happen synchronously in
      // the join event (as kafkajs's own admin.setOffsets does), before the first fetch.
      const resumeAt = new Map((await session.run((c) => readOffsets(c, 'kafka'))).map((o) => [`${o.stream}/${o.partition}`, o.nextOffset]));
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        const assignment = event.payload.memberAssignment as Record<string, number[]>;
        for (const [topic, partitions] of Object.entries(assignment)) {
          for (const partition of partitions) {
            const tp = `${topic}/${partition}`;
            const offset = resumeAt.get(tp) ?? startOffsets.get(tp) ?? 0;
            consumer.seek({ topic, partition, offset: String(offset) });
          }
        }
      });
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch: kafkaBatch, resolveOffset, heartbeat, isRunning, isStale }) => {
          let batch = emptyBatch('kafka', kafkaBatch.topic, kafkaBatch.partition, Number(kafkaBatch.firstOffset() ?? 0));
          const flush = async (): Promise<void> => {
            if (batchSize(batch) === 0) return;
            let result: BatchResult;
            try {
              transformer.check();
              result = await session.run((c) => applyBatch(c, batch, options.apply));
              transformer.nudge();
            } catch (error) {
              // Retrying inside kafkajs would replay the same failure; stop and report it instead.
              failure ??= error;
              throw error;
            }
            accumulate(totals, result);
            resumeAt.set(`${kafkaBatch.topic}/${kafkaBatch.partition}`, result.nextOffset);
            options.onBatch?.({ totals, lastBatch: result, source });
            resolveOffset(String(batch.nextOffset - 1));
            await heartbeat();
          };
          for (const message of kafkaBatch.messages) {
            // A shutdown stops at the next record: the records already batched still commit below.
            if (!isRunning() || isStale() || options.signal?.aborted) break;
            lastActivity = Date.now();
            const prepared = prepareRecord(
              {
                origin: 'kafka',
                stream: kafkaBatch.topic,
                partition: kafkaBatch.partition,
                offset: Number(message.offset),
                topic: logicalOf.get(kafkaBatch.topic) ?? kafkaBatch.topic,
                key: message.key === null ? null : message.key.toString('utf8'),
                value: message.value === null ? null : message.value.toString('utf8'),
              },
              options.salt,
            );
            addToBatch(batch, prepared);
            if (batchSize(batch) >= size) {
              await flush();
              batch = emptyBatch('kafka', kafkaBatch.topic, kafkaBatch.partition, batch.nextOffset);
            }
          }
          await flush();
          lastActivity = Date.now();
        },
      });

      const idleMs = options.idleMs ?? 10_000;
      let rebuiltAt = Date.now();
      for (;;) {
        if (failure) throw failure;
        if (options.signal?.aborted) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
        transformer.check();
        if (options.follow && Date.now() - rebuiltAt > DRIVER_REBUILD_INTERVAL_MS) {
          await session.run((c) => rebuildDrivers(c));
          rebuiltAt = Date.now();
        }
        if (!options.follow) {
          if (await caughtUp()) break;
          if (Date.now() - lastActivity > idleMs) {
            options.onWarning?.(`no new records for ${Math.round(idleMs / 1000)} s before reaching the end offsets seen at start; stopping`);
            break;
          }
        }
      }
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    if (failure) throw failure;
    return summarise(source, totals, started);
  });
}

