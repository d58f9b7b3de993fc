import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Names where the run's shared PostgreSQL cluster lives; only tests that need it start it.
    globalSetup: ['test/helpers/postgres-global.ts'],
    reporters: ['default', './test/reporters/summary.ts'],
  },
});
