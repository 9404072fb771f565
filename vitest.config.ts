import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // Real-kernel tests each make their own network namespace; they can run side by side.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
