import { configDefaults, defineConfig } from 'vitest/config';
import { TESTCONTAINERS_ENV } from './test/integration/support/environment.js';
import HeavyFirstSequencer from './test/support/heavy-first-sequencer.js';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/phase-reporter.ts'],
    // Two files at a time, also on a 2-core machine (vitest's default there is one): most
    // integration time is spent waiting on servers, token lifespans and child processes.
    maxWorkers: 2,
    sequence: { sequencer: HeavyFirstSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/integration/**'],
          // @actions/workflow-parser imports its schema JSON without `with { type: 'json' }`,
          // which Node refuses; pre-bundled by Vite, the JSON is inlined.
          deps: { optimizer: { ssr: { enabled: true, include: ['@actions/workflow-parser', '@actions/workflow-parser/actions/index'] } } },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          // Files share the global setup's Keycloak and Ceph but not their state: each file has
          // its own realms, or its own users and clients in the shared 'test' realm.
          testTimeout: 60_000,
          hookTimeout: 240_000,
          env: TESTCONTAINERS_ENV,
        },
      },
    ],
  },
});
