import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Every file's stdout/stderr is scanned for API keys when it ends.
    setupFiles: ['test/support/log-scan.ts'],
  },
});
