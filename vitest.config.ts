import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Before any test file loads kafkajs: the read_committed fix must be in place first.
    setupFiles: ['test/setup/kafkajs.ts'],
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
    // Integration tests share one broker and one Postgres; running files in parallel on
    // two cores makes timings flaky without making the run shorter.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
