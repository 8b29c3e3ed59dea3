import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { createContext, type CliContext } from './context.js';
import { RidehailError } from './errors.js';
import { configCommand } from './commands/config.js';
import { topicsCommand } from './commands/topics.js';
import { describeError } from './describe-error.js';
import { localCommand } from './commands/local.js';
import { generateCommand } from './commands/generate.js';
import { produceCommand } from './commands/produce.js';
import { enrichCommand } from './commands/enrich.js';
import { warehouseCommand } from './commands/warehouse.js';
import { druidCommand } from './commands/druid.js';
import { dashboardCommand } from './commands/dashboard.js';
import { demoCommand } from './commands/demo.js';

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
  $ ridehail demo                     the whole pipeline and its dashboard, on this machine
  $ ridehail local up                 start Kafka and Postgres on this machine
  $ ridehail topics create            create the pipeline's topics
  $ ridehail generate --rate 500      stream a simulated city into Kafka
  $ ridehail config                   show the effective configuration and where it came from`,
    );

  const commands = [
    localCommand({
      // `local up --brokers N` counts brokers; it is not the connection flag of the same name.
      resolveConfig: (command) => ctx.config(command, { ignoreFlags: ['brokers'] }).config,
      out: (command) => ctx.output(command),
    }),
    topicsCommand(ctx),
    generateCommand(ctx),
    produceCommand(ctx),
    enrichCommand(ctx),
    warehouseCommand(ctx),
    druidCommand(ctx),
    dashboardCommand(ctx),
    demoCommand(ctx),
    configCommand(ctx),
  ];
  for (const command of commands) program.addCommand(command);
  // Connection flags work before the command (`ridehail --brokers B topics list`) and after it
  // (`ridehail topics list --brokers B`); positional parsing lets a command own a flag of the
  // same name, as `local up --brokers 3` does.
  program.enablePositionalOptions();
  for (const leaf of leafCommands(program)) addConnectionOptions(leaf);
  applyExitOverride(program);
  return program;
}

const CONNECTION_OPTIONS: [flags: string, description: string][] = [
  ['--config <file>', 'config file (default: ./ridehail.config.json when present)'],
  ['--brokers <list>', 'Kafka bootstrap servers, comma-separated (env KAFKA_BROKERS)'],
  ['--database-url <url>', 'Postgres connection string (env DATABASE_URL)'],
  ['--druid-url <url>', 'Druid router or overlord URL (env DRUID_URL)'],
  ['--debug', 'show stack traces on errors'],
];

function leafCommands(command: Command): Command[] {
  if (command.commands.length === 0) return [command];
  return command.commands.flatMap(leafCommands);
}

function addConnectionOptions(command: Command): void {
  for (const [flags, description] of CONNECTION_OPTIONS) {
    const long = flags.split(' ')[0]!;
    if (command.options.some((option) => option.long === long)) continue;
    command.addOption(new Option(flags, description).hideHelp());
  }
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

