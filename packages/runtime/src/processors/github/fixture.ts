import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { GithubEmulator } from './emulator.js';

/**
 * GitHub runs against {@link GithubEmulator}. Its primary rate limit is a 403 with
 * `x-ratelimit-reset` two minutes ahead: longer than the cell may wait, so it is reported.
 */
export const fixture: ProcessorFixture = {
  processor: 'github',
  async setup() {
    const token = `gh-token-canary-${crypto.randomUUID()}`;
    const wrong = `gh-wrong-canary-${crypto.randomUUID()}`;
    const emu = await new GithubEmulator(token).start();
    const connection = (url = emu.url, t = token) => ({
      name: 'github',
      config: { url },
      secrets: { token: t },
    });
    return {
      connection: connection(),
      secrets: [token, wrong],
      query: {
        cell: { source: 'acme', params: { queryType: 'repositories' } },
        check(frames) {
          const table = frames.find((f) => f.type === 'table');
          if (table?.type !== 'table') throw new Error('no table frame');
          expect(table.frame.columns[1]).toEqual(['acme/api', 'acme/web', 'acme/infra']);
          expect(table.frame.columns[2]).toEqual([false, false, true]);
          expect(table.frame.columns[4]).toEqual([10, 20, 30]);
        },
      },
      slow: {
        cell: { source: 'acme/slow', params: { queryType: 'commits' } },
        started: async () => emu.openHeld > 0,
        running: async () => emu.openHeld > 0,
      },
      large: { cell: { source: 'acme/api', params: { queryType: 'pull_requests', state: 'all' } } },
      paged: {
        cell: {
          source: 'acme/api',
          params: { queryType: 'pull_requests', state: 'all', maxRows: 5000 },
        },
        rows: 1200,
      },
      errors: {
        authFailed: {
          cell: { source: 'acme/api' },
          connection: connection(emu.url, wrong),
          message: /GitHub: Bad credentials/,
        },
        notFound: { cell: { source: 'acme/nope' }, message: /GitHub: Not Found/ },
        rateLimited: {
          cell: { source: 'acme/api' },
          connection: connection(`${emu.url}/limited`),
          message: /API rate limit exceeded for user ID 1/,
          retryAfterS: 120,
        },
        badQuery: {
          cell: { source: 'repo:acme/api is:pr AND', params: { queryType: 'search_issues' } },
          message: /Validation Failed; The search query .* is not valid/,
        },
      },
      unhealthy: connection(emu.url, wrong),
      leakProbe: { cell: { source: 'acme/api' } },
      teardown: () => emu.stop(),
    };
  },
};
