import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { maskValue } from '../../config/mask.js';
import { effectiveDatabaseUrl } from '../../config/config.js';

export function configCommand(ctx: CliContext): Command {
  return new Command('config')
    .description('print the effective configuration and where each value came from (passwords masked)')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      `
Precedence: flag > environment > config file (ridehail.config.json or --config FILE) > default.

Examples:
  $ ridehail config
  $ KAFKA_BROKERS=kafka-1:9092,kafka-2:9092 ridehail config --json`,
    )
    .action((_opts, command: Command) => {
      const { config, sources, configFile } = ctx.config(command);
      const out = ctx.output(command);
      const rows = Object.entries(sources).map(([key, sourced]) => ({
        setting: key,
        value: maskValue(key, sourced.value),
        source: sourced.source,
        from: sourced.origin ?? '',
      }));
      if (!config.databaseUrl) {
        const row = rows.find((r) => r.setting === 'databaseUrl');
        if (row) row.value = `${maskValue('databaseUrl', effectiveDatabaseUrl(config)) as string} (local stack)`;
      }
      if (out.jsonMode) {
        out.json({ configFile: configFile ?? null, settings: rows });
        return;
      }
      out.info(`config file: ${configFile ?? '(none)'}`);
      out.table(rows, ['setting', 'value', 'source', 'from']);
    });
}
