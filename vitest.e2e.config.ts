// The e2e tier: the VM suites, each booting a VM (minutes under TCG); run with `npm run test:e2e`,
// never as part of the other tiers (vitest.config.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30 * 60_000,
  },
});
