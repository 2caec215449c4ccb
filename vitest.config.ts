import { defineConfig } from 'vitest/config';

/**
 * Three projects, all run by `vitest run` (`npm test`); one alone with `--project`:
 *   unit         co-located `x.test.ts` beside `x.ts` (`npm run test:unit`, seconds)
 *   integration  each package's `test/` with real kernels, PGlite and PostgreSQL
 *   e2e          the browser tests (Debian's Chromium via playwright-core)
 */
export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.{ts,tsx}'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', 'packages/*/test/e2e/**'],
        },
      },
      { extends: true, test: { name: 'e2e', include: ['packages/*/test/e2e/**/*.test.ts'] } },
    ],
  },
});
