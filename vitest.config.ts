import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Safety nets for a hung test, not timings: on a machine shared by several suites a fault test
    // can take minutes, and a test that waits on an event must not fail because the machine is slow.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Child-process and HTTP tests share two cores with the rest of the machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
