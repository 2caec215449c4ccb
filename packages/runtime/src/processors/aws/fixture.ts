import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { AwsEmulator } from './emulator.js';

/**
 * AWS runs against {@link AwsEmulator}, which checks every request's SigV4 signature with the
 * secret key. The slow cell is a Logs Insights query over `/slow`, which never completes:
 * cancelling must StopQuery it. AWS throttles with HTTP 400 ThrottlingException and no
 * Retry-After, so the rate-limit case has no wait to report.
 */
export const fixture: ProcessorFixture = {
  processor: 'aws',
  async setup() {
    const accessKeyId = 'AKIAEMULATOR00000001';
    const secretAccessKey = `aws-secret-canary-${crypto.randomUUID()}`;
    const wrong = `aws-wrong-canary-${crypto.randomUUID()}`;
    const emu = await new AwsEmulator({ accessKeyId, secretAccessKey }).start();
    const connection = (endpoint = emu.url, secret = secretAccessKey, keyId = accessKeyId) => ({
      name: 'aws',
      config: { region: 'eu-west-1', endpoint },
      secrets: { accessKeyId: keyId, secretAccessKey: secret },
    });
    const logs = (query: string, logGroups = ['/aws/lambda/api'], maxRows = 1000) => ({
      source: query,
      params: { queryType: 'logs', logGroups, maxRows },
    });
    return {
      connection: connection(),
      secrets: [secretAccessKey, wrong],
      query: {
        cell: logs('fields @timestamp, @message | filter @message like /ERROR/ | limit 50'),
        check(frames) {
          const table = frames.find((f) => f.type === 'table');
          if (table?.type !== 'table') throw new Error('no table frame');
          expect(table.frame.schema.fields).toEqual([
            { name: '@timestamp', type: 'time' },
            { name: '@message', type: 'string' },
          ]);
          const messages = table.frame.columns[1] as string[];
          expect(messages.length).toBe(20);
          expect(messages.every((m) => m.startsWith('ERROR '))).toBe(true);
          expect(frames.find((f) => f.type === 'raw')).toMatchObject({
            value: { status: 'Complete' },
          });
        },
      },
      slow: {
        cell: logs('fields @message', ['/slow']),
        started: async () => emu.runningQueries() > 0,
        running: async () => emu.runningQueries() > 0,
      },
      large: { cell: logs('fields @timestamp, @message', ['/aws/bulk'], 5000) },
      paged: { cell: logs('fields @timestamp, @message', ['/aws/bulk'], 5000), rows: 1200 },
      errors: {
        authFailed: {
          cell: logs('fields @message'),
          connection: connection(emu.url, wrong),
          message: /InvalidSignatureException: The request signature we calculated does not match/,
        },
        notFound: {
          cell: logs('fields @message', ['/aws/nope']),
          message: /Log group '\/aws\/nope' does not exist/,
        },
        rateLimited: {
          cell: logs('fields @message'),
          connection: connection(`${emu.url}limited/`),
          message: /ThrottlingException: Rate exceeded/,
        },
        badQuery: {
          cell: logs('fields @message | frobnicate now'),
          message: /MalformedQueryException: unexpected symbol found frobnicate/,
        },
      },
      unhealthy: connection(emu.url, secretAccessKey, 'AKIAUNKNOWN000000000'),
      leakProbe: { cell: logs('fields @timestamp, @message | limit 1') },
      teardown: () => emu.stop(),
    };
  },
};
