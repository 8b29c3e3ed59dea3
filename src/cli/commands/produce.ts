import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { systemClock } from '../../generate/clock.js';
import { formatRate } from '../../generate/live-stats.js';
import { RateLimiter } from '../../generate/rate-limiter.js';
import { fromJsonLine, JsonLineError, type OutRecord } from '../../generate/records.js';
import { KafkaSink, KafkaSinkError } from '../../generate/sinks.js';
import type { CliContext } from '../context.js';
import { RidehailError, UsageError } from '../errors.js';
import { positiveNumber } from '../parse.js';

interface ProduceOptions {
  rate?: number;
  json?: boolean;
}

const KAFKA_HINT = 'Start the local stack with `ridehail local up`, or point --brokers / KAFKA_BROKERS at a running cluster.';
const BATCH = 1_000;

export function produceCommand(ctx: CliContext): Command {
  return new Command('produce')
    .description('send a JSON Lines file of {"topic","key","value"} records (as `ridehail generate --out` writes) to Kafka, in order')
    .argument('<file>', 'the file to replay, or "-" for stdin')
    .option('--rate <n>', 'records per second (default: as fast as Kafka takes them)', positiveNumber)
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Each record goes to its topic with its key and exactly the value bytes the file holds (a string
value is sent as raw bytes, which is how injected "not JSON" records are stored), so a replay
sends what a direct \`ridehail generate\` run would have sent. Missing topics are created.

Examples:
  $ ridehail generate --clock sim --start 2026-01-05T00:00:00Z --duration 1d --seed 42 --out day.jsonl
  $ ridehail produce day.jsonl
  $ ridehail produce day.jsonl --rate 1000
  $ zcat day.jsonl.gz | ridehail produce -`,
    )
    .action(async (file: string, opts: ProduceOptions, command: Command) => {
      const { config } = ctx.config(command);
      const out = ctx.output(command);
      if (file !== '-' && !existsSync(file)) throw new UsageError(`${file} does not exist`);
      const signal = ctx.shutdownSignal();

      const spinner = out.spinner(`connecting to Kafka at ${config.kafka.brokers.join(',')}`);
      let sink: KafkaSink;
      try {
        sink = await KafkaSink.connect(config.kafka, {
          clientId: 'ridehail-produce',
          signal,
          onConnectRetry: (attempt, attempts, delayMs, error) =>
            spinner.update(`Kafka not reachable (${error.message}); attempt ${attempt + 1}/${attempts} in ${delayMs / 1000}s`),
        });
        spinner.succeed(`connected to Kafka at ${config.kafka.brokers.join(',')}`);
      } catch (error) {
        spinner.fail();
        throw new RidehailError((error as Error).message, { hint: KAFKA_HINT });
      }

      const limiter = opts.rate ? new RateLimiter(opts.rate, systemClock, Math.max(1, opts.rate / 10)) : undefined;
      const input = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
      const lines = createInterface({ input, crlfDelay: Infinity });
      const byTopic: Record<string, number> = {};
      const knownTopics = new Set<string>();
      const started = Date.now();
      let lastLive = started;
      let lineNumber = 0;
      let sent = 0;
      let batch: OutRecord[] = [];

      const send = async (): Promise<void> => {
        if (batch.length === 0) return;
        const fresh = [...new Set(batch.map((r) => r.topic))].filter((t) => !knownTopics.has(t));
        if (fresh.length > 0) {
          const created = await sink.ensureTopics(fresh);
          for (const topic of fresh) knownTopics.add(topic);
          if (created.length > 0) out.info(`created topic${created.length > 1 ? 's' : ''} ${created.join(', ')}`);
        }
        if (limiter) await limiter.take(batch.length, signal);
        await sink.write(batch);
        sent += batch.length;
        batch = [];
        const now = Date.now();
        if (now - lastLive >= 1_000) {
          lastLive = now;
          out.live(`${sent.toLocaleString('en-US')} records sent (${formatRate(sent / ((now - started) / 1000))}/s)`);
        }
      };

      try {
        for await (const line of lines) {
          lineNumber++;
          if (signal.aborted) break;
          if (line.trim().length === 0) continue;
          let record: OutRecord;
          try {
            record = fromJsonLine(line);
          } catch (error) {
            if (error instanceof JsonLineError) throw new RidehailError(`${file}:${lineNumber}: ${error.message}`);
            throw error;
          }
          byTopic[record.topic] = (byTopic[record.topic] ?? 0) + 1;
          batch.push(record);
          if (batch.length >= (limiter ? Math.max(1, Math.min(BATCH, Math.ceil(limiter.ratePerSecond / 20))) : BATCH)) await send();
        }
        await send();
        await sink.close();
      } catch (error) {
        out.endLive();
        lines.close();
        await sink.close().catch(() => undefined);
        if (error instanceof KafkaSinkError) throw new RidehailError(error.message, { hint: KAFKA_HINT });
        throw error;
      }
      out.endLive();
      const seconds = (Date.now() - started) / 1000;
      const summary = {
        file,
        records: sent,
        by_topic: byTopic,
        wall_seconds: Math.round(seconds * 1000) / 1000,
        records_per_second: seconds > 0 ? Math.round(sent / seconds) : 0,
        stopped_by: signal.aborted ? 'signal' : 'end',
      };
      if (out.jsonMode) return out.json(summary);
      out.success(`${sent.toLocaleString('en-US')} records → Kafka in ${seconds.toFixed(1)} s (${formatRate(summary.records_per_second)}/s)${signal.aborted ? '; interrupted' : ''}`);
      out.info(`  ${Object.entries(byTopic).map(([topic, n]) => `${topic} ${n.toLocaleString('en-US')}`).join(' · ')}`);
    });
}
