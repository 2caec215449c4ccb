import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { JenkinsEmulator } from './emulator.js';

/**
 * Jenkins runs against {@link JenkinsEmulator}. The slow cell follows the console of a build
 * that never finishes; its upstream work is the polling, so "running" means a new poll
 * arrived within one and a half poll intervals.
 */
export const fixture: ProcessorFixture = {
  processor: 'jenkins',
  async setup() {
    const apiToken = `jenkins-token-canary-${crypto.randomUUID()}`;
    const wrong = `jenkins-wrong-canary-${crypto.randomUUID()}`;
    const emu = await new JenkinsEmulator('ada', apiToken).start();
    const connection = (url = emu.url, t = apiToken) => ({
      name: 'jenkins',
      config: { url, username: 'ada' },
      secrets: { apiToken: t },
    });
    const polledRecently = async () => {
      const n = emu.runningPolls;
      await new Promise((r) => setTimeout(r, 1500));
      return emu.runningPolls > n;
    };
    return {
      connection: connection(),
      secrets: [apiToken, wrong],
      query: {
        cell: { source: '', params: { queryType: 'jobs' } },
        check(frames) {
          const table = frames.find((f) => f.type === 'table');
          if (table?.type !== 'table') throw new Error('no table frame');
          expect(table.frame.columns[0]).toEqual(['team', 'deploy']);
          expect(table.frame.columns[4]).toEqual([null, 'SUCCESS']);
        },
      },
      slow: {
        cell: { source: 'team/api #lastBuild', params: { queryType: 'console' } },
        started: async () => emu.runningPolls > 0,
        running: polledRecently,
      },
      large: { cell: { source: 'team/api', params: { queryType: 'builds', maxRows: 5000 } } },
      paged: {
        cell: { source: 'team/api', params: { queryType: 'builds', maxRows: 5000 } },
        rows: 1200,
      },
      errors: {
        authFailed: {
          cell: { source: '', params: { queryType: 'jobs' } },
          connection: connection(emu.url, wrong),
          message: /Invalid password\/token for user: ada/,
        },
        notFound: {
          cell: { source: 'team/api #99999', params: { queryType: 'console' } },
          message: /Jenkins: Not Found/,
        },
        rateLimited: {
          cell: { source: 'team/api' },
          connection: connection(`${emu.url}/limited`),
          message: /slow down/,
          retryAfterS: 120,
        },
        badQuery: {
          cell: { source: 'team/api', params: { fields: 'actions[parameters[name,value]' } },
          message: /Malformed tree expression/,
        },
      },
      unhealthy: connection(emu.url, wrong),
      leakProbe: { cell: { source: 'team/api #1199', params: { queryType: 'console' } } },
      teardown: () => emu.stop(),
    };
  },
};
