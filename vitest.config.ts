import { defineConfig } from 'vitest/config';
import { TESTCONTAINERS_ENV } from './test/integration/support/environment.js';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**'],
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
          // One Keycloak at a time on a 2-core machine.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 240_000,
          env: TESTCONTAINERS_ENV,
        },
      },
    ],
  },
});
