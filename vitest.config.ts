import { defineConfig } from 'vitest/config';

// The suite needs root and a sandbox: run it with `npm test` (test/run), which starts vitest inside a fresh
// network, mount and PID namespace. Every test builds its own namespaces inside that (test/support/).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file in its own child process: the addon, open sockets and namespaces stay per file.
    pool: 'forks',
    // Two cores: two files at a time; the tests are mostly waiting for the kernel and iproute2.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 30_000,
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    // The default reporter ends with vitest's summary. With VITEST_JSON_REPORT=FILE (as .ci/run sets),
    // results also go to FILE as JSON, for a one-line count.
    reporters: process.env.VITEST_JSON_REPORT
      ? ['default', ['json', { outputFile: process.env.VITEST_JSON_REPORT }]]
      : ['default'],
  },
});
