import { defineConfig } from 'vitest/config';

/**
 * The store contract suite: the repository tests, and the tests of what reads and writes through
 * the repositories directly (alarms, SLOs, DORA, policy, log capture), run a second time with the
 * store on PostgreSQL (test/helpers/store.ts reads GANTRY_TEST_STORE). Every other file runs once,
 * on SQLite.
 */
const STORE_CONTRACT_FILES = [
  'test/acme-store.test.ts',
  'test/alarms-api.test.ts',
  'test/alarms-engine.test.ts',
  'test/audit.test.ts',
  'test/dora-api.test.ts',
  'test/image-versions.test.ts',
  'test/incidents-response-targets.test.ts',
  'test/incidents-store.test.ts',
  'test/logs-api.test.ts',
  'test/logs-capture.test.ts',
  'test/logs-store.test.ts',
  'test/metrics-rollups.test.ts',
  'test/notify-outbox.test.ts',
  'test/notify-pipeline.test.ts',
  'test/policy-override.test.ts',
  'test/secrets.test.ts',
  'test/service-store.test.ts',
  'test/slo-budget.test.ts',
  'test/slo-gate.test.ts',
  'test/store.test.ts',
  'test/store-instance-handles.test.ts',
  'test/store-alert-groups.test.ts',
  'test/store-processes.test.ts',
  'test/store-releases.test.ts',
  'test/triggers-unit.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Names where the run's shared PostgreSQL cluster lives; only tests that need it start it.
    globalSetup: ['test/helpers/postgres-global.ts'],
    reporters: ['default', './test/reporters/summary.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/**/*.test.ts', 'src/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'postgresql',
          include: STORE_CONTRACT_FILES,
          env: { GANTRY_TEST_STORE: 'postgresql' },
        },
      },
    ],
  },
});
