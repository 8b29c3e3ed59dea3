/**
 * `ridehail warehouse …` as a standalone program, for tests that run the real command in a child
 * process (and kill it) before the lead wires it into main.ts. Not a test file: bundled by the tests.
 */
import { Command } from 'commander';
import { createContext } from '../../../src/cli/context.js';
import { RidehailError } from '../../../src/cli/errors.js';
import { warehouseCommand } from '../../../src/cli/commands/warehouse.js';

const program = new Command('ridehail').option('--database-url <url>').option('--brokers <list>').option('--json');
program.addCommand(warehouseCommand(createContext()));
try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = error instanceof RidehailError ? error.exitCode : 1;
}
