// The e2e suites: each boots a VM (minutes under TCG); run with `npm run test:e2e` (the LVS
// cluster, then the units under systemd, one VM at a time), never as part of the unit tests.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30 * 60_000,
  },
});
