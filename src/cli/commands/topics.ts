import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { allTopics, topicByName } from '../../contract/topics.js';
import { createKafka } from '../../kafka/client.js';
import { describeTopics, ensureTopics, withAdmin } from '../../kafka/admin.js';
import { positiveInt } from '../parse.js';
import { UsageError } from '../errors.js';

export function topicsCommand(ctx: CliContext): Command {
  const topics = new Command('topics').description("create, list and describe the pipeline's Kafka topics");

  topics
    .command('create')
    .description("create the pipeline's topics; topics that already exist are left alone")
    .option('-p, --partitions <n>', 'partitions per topic', positiveInt, 3)
    .option('-r, --replication-factor <n>', 'replicas per partition (default: 3 on a cluster of 3+ brokers, else the broker count)', positiveInt)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
On a cluster of three or more brokers the default is 3 replicas with min.insync.replicas=2,
so an acks=all write survives losing one broker.

Examples:
  $ ridehail topics create
  $ ridehail topics create --partitions 6 --replication-factor 3`,
    )
    .action(async (opts: { partitions: number; replicationFactor?: number }, command: Command) => {
      const { config } = ctx.config(command);
      const out = ctx.output(command);
      const result = await withAdmin(createKafka(config.kafka), (admin) =>
        ensureTopics(admin, allTopics(), {
          partitions: opts.partitions,
          ...(opts.replicationFactor ? { replicationFactor: opts.replicationFactor } : {}),
        }).catch((error: Error) => {
          if (/replication factor/.test(error.message)) throw new UsageError(error.message);
          throw error;
        }),
      );
      if (out.jsonMode) return out.json(result);
      for (const name of result.created) out.success(`created ${name}`);
      for (const name of result.existing) out.info(`exists  ${name}`);
      out.info(`(${result.partitions} partitions, replication factor ${result.replicationFactor} for new topics)`);
    });

  topics
    .command('list')
    .description("list the pipeline's topics and whether each exists")
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  $ ridehail topics list')
    .action(async (_opts, command: Command) => {
      const { config } = ctx.config(command);
      const out = ctx.output(command);
      const existing = new Set(await withAdmin(createKafka(config.kafka), (admin) => admin.listTopics()));
      const rows = allTopics().map((t) => ({
        topic: t.name,
        exists: existing.has(t.name) ? 'yes' : 'no',
        key: t.key,
        compacted: t.compacted ? 'yes' : 'no',
        description: t.description,
      }));
      if (out.jsonMode) return out.json(rows);
      out.table(rows);
    });

  topics
    .command('describe')
    .argument('[topics...]', "topics to describe (default: all of the pipeline's topics that exist)")
    .description('show partitions, replication, leaders and non-default config of topics')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExamples:\n  $ ridehail topics describe\n  $ ridehail topics describe ride_events --json')
    .action(async (names: string[], _opts, command: Command) => {
      const { config } = ctx.config(command);
      const out = ctx.output(command);
      for (const name of names) {
        if (!topicByName(name)) out.warn(`${name} is not one of the pipeline's topics`);
      }
      const described = await withAdmin(createKafka(config.kafka), async (admin) => {
        const existing = new Set(await admin.listTopics());
        const wanted = names.length > 0 ? names : allTopics().map((t) => t.name).filter((n) => existing.has(n));
        const missing = wanted.filter((n) => !existing.has(n));
        if (missing.length > 0) throw new UsageError(`no such topic: ${missing.join(', ')} (create them with \`ridehail topics create\`)`);
        return wanted.length > 0 ? describeTopics(admin, wanted) : [];
      });
      if (out.jsonMode) return out.json(described);
      out.table(
        described.map((d) => ({
          topic: d.topic,
          partitions: d.partitions,
          replicas: d.replicationFactor,
          'under-replicated': d.outOfSync,
          config: Object.entries(d.config).map(([k, v]) => `${k}=${v}`).join(' '),
        })),
      );
    });

  return topics;
}
