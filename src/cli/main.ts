import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { createContext, type CliContext } from './context.js';
import { RidehailError } from './errors.js';
import { configCommand } from './commands/config.js';
import { topicsCommand } from './commands/topics.js';
import { describeError } from './describe-error.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('ridehail')
    .description(
      'Live metrics for a ridehail fleet: generate events, stream them through Kafka, enrich them, load the Postgres warehouse and Druid, and watch the dashboard.',
    )
    .version(version, '-V, --version', 'print the version')
    .option('--config <file>', 'config file (default: ./ridehail.config.json when present)')
    .option('--brokers <list>', 'Kafka bootstrap servers, comma-separated (env KAFKA_BROKERS)')
    .option('--database-url <url>', 'Postgres connection string (env DATABASE_URL; default: the local stack)')
    .option('--druid-url <url>', 'Druid router or overlord URL (env DRUID_URL)')
    .option('--debug', 'show stack traces and client logs on errors')
    .addHelpText(
      'after',
      `
Examples:
  $ ridehail local up                 start Kafka and Postgres on this machine
  $ ridehail topics create            create the pipeline's topics
  $ ridehail generate --rate 500      stream a simulated city into Kafka
  $ ridehail config                   show the effective configuration and where it came from`,
    );

  const commands = [configCommand(ctx), topicsCommand(ctx)];
  for (const command of commands) program.addCommand(command);
  applyExitOverride(program);
  return program;
}

/** Commander exits by itself on usage errors; we want its message and code 2, but from main(). */
function applyExitOverride(command: Command): void {
  command.exitOverride();
  command.configureOutput({
    // One line, always: the first line of commander's message plus where to look next.
    outputError: (message, write) => write(`${message.trimEnd().split('\n')[0]} (see --help)\n`),
  });
  for (const sub of command.commands) applyExitOverride(sub);
}

export async function main(argv: string[], ctx: CliContext = createContext()): Promise<number> {
  const program = buildProgram(ctx);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version arrive here as "errors" with exit code 0.
      if (error.exitCode === 0) return 0;
      // Commander has already printed its one-line message.
      return error.code === 'commander.executeSubCommandAsync' ? 1 : 2;
    }
    const exitCode = error instanceof RidehailError ? error.exitCode : 1;
    process.stderr.write(`${describeError(error, debug)}\n`);
    return exitCode;
  }
}

export { Option };
