import { defineConfig } from 'vitest/config';

/**
 * Test projects: unit tests beside their files, end-to-end tests over real sockets, and tests
 * that start whole processes. Forks isolate the sockets and timers of each file.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'providers/**/*.test.ts', 'bench/**/*.test.ts', 'simulations/**/*.test.ts'],
          testTimeout: 10_000,
          hookTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.process.test.ts', 'test/.readme-*/**'],
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'process',
          include: ['test/**/*.process.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
