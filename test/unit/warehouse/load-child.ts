/**
 * A loader run in a child process, so a test can SIGKILL it in the middle of a batch. After each
 * batch's COPY (inside the open transaction) it prints `copied <n>` (n counting from 1) and, from
 * batch <pause-from> on, pauses there: the parent kills it during that pause. Not a test file:
 * bundled by the tests.
 *
 *   node load-child.mjs <database-url> <file> <batch-size> <pause-from (0: never)>
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadFile } from '../../../src/warehouse/load.js';
import { PgSession } from '../../../src/warehouse/session.js';

const [url, file, batchSize, pauseFrom] = process.argv.slice(2);
let copied = 0;
if (!url || !file) {
  process.stderr.write('usage: load-child <database-url> <file> <batch-size> <pause-from>\n');
  process.exit(2);
}
const session = new PgSession(url);
const summary = await loadFile(session, file, {
  salt: 'test-salt',
  batchSize: Number(batchSize ?? 1000),
  apply: {
    afterCopy: async (batchId) => {
      copied += 1;
      process.stdout.write(`copied ${copied} (batch ${batchId})\n`);
      if (Number(pauseFrom) > 0 && copied >= Number(pauseFrom)) await sleep(600_000);
    },
  },
});
await session.close();
process.stdout.write(`done ${JSON.stringify(summary)}\n`);
