// The e2e tier: the VM suites, each booting a VM (minutes under TCG); run with `npm run test:e2e`,
// never as part of the other tiers (vitest.config.ts). One VM at a time: each emulates two CPUs,
// and two side by side on a 2-core machine would halve the time each scenario has within its bounds.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    include: ['test/e2e/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    // Above the LVS VM's cap (cluster-run.ts); a hung VM is killed sooner, when it falls silent.
    hookTimeout: 80 * 60_000,
  },
});
