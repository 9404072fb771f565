import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // test/e2e boots a VM: it has its own config (vitest.e2e.config.ts, npm run test:e2e).
    exclude: ['test/e2e/**', 'node_modules/**'],
  },
});
