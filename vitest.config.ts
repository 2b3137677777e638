import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Child-process and HTTP tests share two cores with the rest of the machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
