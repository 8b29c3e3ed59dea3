/** `ridehail` from the sources, for test/helpers/cli.ts when dist/ is stale. Not a test file. */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv);
