import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifest } from '@spin/protocol/processors/github';
import type { ProcessorFrame, ProcessorHost } from '../sdk.js';
import { GithubEmulator } from './emulator.js';
import { createGithub, nextLink } from './githubProcessor.js';

const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 100 },
};

describe('GitHub processor against the emulated REST API', () => {
  const emu = new GithubEmulator('gh-test-token');
  let dir: string;
  const conn = (url = emu.url, token = 'gh-test-token') => ({
    name: 'gh',
    config: { url },
    secrets: { token },
  });

  beforeAll(async () => {
    await emu.start();
    dir = mkdtempSync(join(tmpdir(), 'spin-github-'));
  });
  afterAll(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(
    params: Record<string, unknown>,
    c = conn(),
    timeoutMs = 20_000,
  ): Promise<ProcessorFrame[]> {
    const gh = createGithub(c, host);
    const frames: ProcessorFrame[] = [];
    const out = gh.query(
      {
        params: {
          queryType: 'pull_requests',
          target: 'acme/api',
          state: 'open',
          ref: null,
          maxRows: 1000,
          ...params,
        },
        cwd: dir,
        limits: { timeoutMs, outputBytes: 1_000_000 },
        timeRange: {
          from: new Date(Date.now() - 3_600_000).toISOString(),
          to: new Date().toISOString(),
        },
        cell: 'c',
        jti: 'j',
      },
      new AbortController().signal,
    );
    for await (const f of out as AsyncIterable<ProcessorFrame>) frames.push(f);
    return frames;
  }
  const column = (frames: ProcessorFrame[], i: number) =>
    frames.flatMap((f) => (f.type === 'table' ? f.frame.columns[i]! : []));

  it('follows Link rel="next" pages with the documented headers, up to the row limit', async () => {
    const before = emu.requests.length;
    const frames = await run({ state: 'open', maxRows: 250 });
    const seen = emu.requests.slice(before);
    expect(seen.map((r) => r.query.get('page') ?? '1')).toEqual(['1', '2', '3']);
    expect(seen.every((r) => r.authorization === 'Bearer gh-test-token')).toBe(true);
    const numbers = column(frames, 0) as number[];
    expect(numbers.length).toBe(250);
    expect(numbers.slice(0, 3)).toEqual(
      emu.pulls
        .filter((p) => p.state === 'open')
        .slice(0, 3)
        .map((p) => p.number),
    );
    expect(frames.flatMap((f) => (f.type === 'stream' ? [f.text] : []))).toContain(
      'showing the first 250 (row limit)\n',
    );
    expect(nextLink('<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"')).toBe(
      'https://a/x?page=2',
    );
  });

  it("lists commits and workflow runs within the notebook's time range", async () => {
    const commits = await run({ queryType: 'commits' });
    const inRange = emu.commits.filter(
      (c) =>
        Date.parse((c.commit as { author: { date: string } }).author.date) >=
        Date.now() - 3_600_000 - 5000,
    );
    expect(column(commits, 0).length).toBeGreaterThanOrEqual(inRange.length - 1);
    expect(column(commits, 0).length).toBeLessThanOrEqual(inRange.length);
    expect(column(commits, 3)[0]).toBe('fix: thing 0');
    const runs = await run({ queryType: 'workflow_runs' });
    expect(new Set(column(runs, 3))).toEqual(new Set(['success', 'failure']));
    expect(runs.find((f) => f.type === 'raw')).toMatchObject({ value: { total: 30 } });
  });

  it('retries a secondary rate limit after its Retry-After, and names 401 and 502 clearly', async () => {
    emu.fail({
      times: 1,
      status: 429,
      headers: { 'retry-after': '1' },
      body: { message: 'You have exceeded a secondary rate limit.' },
    });
    const frames = await run({ maxRows: 5 });
    expect(column(frames, 0).length).toBe(5);
    expect(frames.flatMap((f) => (f.type === 'stream' ? [f.text] : []))).toContain(
      'GitHub rate limited the request; retrying in 1 s\n',
    );
    await expect(run({}, conn(emu.url, 'wrong'))).rejects.toMatchObject({
      code: 'processor.auth_failed',
      message: 'authentication failed (HTTP 401): GitHub: Bad credentials',
    });
    await expect(run({}, conn(`${emu.url}/broken`))).rejects.toMatchObject({
      code: 'processor.unavailable',
      message: expect.stringContaining('upstream unavailable (HTTP 502)'),
    });
  });

  it('binds a template into the repository path only when the result is still owner/repo', () => {
    const p = manifest.programSchema.parse({
      queryType: 'pull_requests',
      target: 'acme/{{repo}}',
      state: 'open',
      ref: null,
      maxRows: 10,
    });
    const bind = (v: string) => manifest.bindTemplates!(p, { resolve: () => v });
    expect(bind('api')).toMatchObject({ target: 'acme/api' });
    expect(() => bind('api/../../users')).toThrow(
      expect.objectContaining({ code: 'template.invalid' }),
    );
  });

  it('sends the token to the API origin only: a Link elsewhere is not followed', async () => {
    emu.fail({
      times: 1,
      status: 200,
      headers: { link: '<http://127.0.0.1:9/steal?page=2>; rel="next"' },
      body: [{ number: 1, title: 't', state: 'open', user: { login: 'x' } }],
    });
    const frames = await run({});
    expect(column(frames, 0)).toEqual([1]);
  });
});
