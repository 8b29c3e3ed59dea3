import type { Reporter, RunnerTestFile, RunnerTask } from 'vitest';

/**
 * Prints "tests: N passed, N failed, N skipped" alone on the last line: the plain closing line
 * that CI reads to tell a run that tested something from one that ran nothing.
 */
export default class PlainSummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const visit = (task: RunnerTask): void => {
      if (task.type === 'test') {
        const state = task.result?.state;
        if (state === 'pass') passed += 1;
        else if (state === 'fail') failed += 1;
        else skipped += 1;
      }
      if ('tasks' in task) for (const child of task.tasks) visit(child);
    };
    for (const file of files) {
      visit(file);
      // A file that failed to load has no tests to count but must not read as green.
      if (file.result?.state === 'fail' && file.tasks.length === 0) failed += 1;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
