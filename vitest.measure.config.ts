// Measurements that take minutes and print figures (npm run measure:outage): not part of npm test.
import { defineConfig } from 'vitest/config';
import { TESTCONTAINERS_ENV } from './test/integration/support/environment.js';

export default defineConfig({
  test: {
    include: ['test/measure/**/*.measure.ts'],
    testTimeout: 900_000,
    hookTimeout: 600_000,
    env: TESTCONTAINERS_ENV,
  },
});
