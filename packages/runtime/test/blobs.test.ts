import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BLOB_HEADERS,
  BLOB_REF_MIME,
  BlobLinePageSchema,
  BlobRefSchema,
  outputsFromEvents,
  verifyReceipt,
  type BlobRef,
  type Output,
} from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

/** 5,000 numbered lines, printed in chunks like a busy cell. */
const CODE = [
  'import sys',
  'for c in range(50):',
  '    sys.stdout.write("".join(f"line {i:05d} {\'y\' * 20}\\n" for i in range(c * 100 + 1, c * 100 + 101)))',
].join('\n');
const line = (i: number) => `line ${String(i).padStart(5, '0')} ${'y'.repeat(20)}`;
const ALL = Array.from({ length: 5000 }, (_, i) => line(i + 1) + '\n').join('');

describe('spilled output blobs (GET /v1/blobs/:id)', () => {
  let h: Harness;
  let token: string;
  let outputs: Output[];
  let ref: BlobRef;
  let receipt: string;
  const get = (query = '', headers: Record<string, string> = {}, t = token) =>
    fetch(`${h.rt.url}${ref.path}${query}`, {
      headers: { authorization: `Bearer ${t}`, ...headers },
    });

  beforeAll(async () => {
    h = await startPaired({ outputInlineBytes: 8192 });
    token = await h.server.token();
    const c = await TestClient.session(h.rt.url, token);
    const events = await c.run(await h.server.python(CODE));
    outputs = outputsFromEvents(events);
    c.close();
    const ended = events.at(-1);
    receipt = ended?.type === 'cell_ended' ? ended.data.receipt : '';
    const display = outputs.find((o) => o.output_type === 'display_data');
    ref = BlobRefSchema.parse(
      display?.output_type === 'display_data' && display.data[BLOB_REF_MIME],
    );
  });
  afterAll(async () => {
    await h.close();
  });

  it('sends head, reference and tail inline; the reference commits to the whole output', async () => {
    // the receipt digests exactly these outputs, blob reference (with its sha256) included
    await verifyReceipt(receipt, h.rt.identity.keys.signing, outputs);
    expect(outputs.map((o) => o.output_type)).toEqual(['stream', 'display_data', 'stream']);
    expect(ref).toMatchObject({ state: 'complete', lines: 5000, bytes: Buffer.byteLength(ALL) });
    expect(ref.sha256).toBe(createHash('sha256').update(ALL).digest('hex'));
    const [head, , tail] = outputs.map((o) => (o.output_type === 'stream' ? o.text : ''));
    expect(head).toBe(ALL.slice(0, ref.head.bytes));
    expect(head!.split('\n').length - 1).toBe(ref.head.lines);
    expect(tail).toBe(ALL.slice(ref.tail!.offset));
    expect(tail!.endsWith(line(5000) + '\n')).toBe(true);
  });

  it('serves line pages through to the last line', async () => {
    const seen: string[] = [];
    for (let next: number | null = 1; next !== null;) {
      const res = await get(`?line=${next}&lines=700`);
      expect(res.status).toBe(200);
      const page = BlobLinePageSchema.parse(await res.json());
      seen.push(...page.lines);
      next = page.nextLine;
    }
    expect(seen).toHaveLength(5000);
    expect(seen[0]).toBe(line(1));
    expect(seen.at(-1)).toBe(line(5000));
    const mid = BlobLinePageSchema.parse(await (await get('?line=2500&lines=2')).json());
    expect(mid).toMatchObject({ line: 2500, lines: [line(2500), line(2501)], nextLine: 2502 });
  });

  it('serves bytes, whole and in ranges', async () => {
    const whole = await get();
    expect(whole.status).toBe(200);
    expect(whole.headers.get(BLOB_HEADERS.sha256)).toBe(ref.sha256);
    expect(await whole.text()).toBe(ALL);
    const part = await get('', { range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${ref.bytes}`);
    expect(await part.text()).toBe(ALL.slice(10, 20));
    const last = await get('', { range: 'bytes=-5' });
    expect(await last.text()).toBe(ALL.slice(-5));
  });

  it('refuses bad ranges and queries with their codes', async () => {
    const outside = await get('', { range: `bytes=${ref.bytes + 10}-` });
    expect(outside.status).toBe(416);
    expect(await outside.json()).toMatchObject({ error: { code: 'blob.range_not_satisfiable' } });
    const malformed = await get('', { range: 'bytes=abc' });
    expect(malformed.status).toBe(400);
    const badLine = await get('?line=0');
    expect(badLine.status).toBe(400);
    expect(await badLine.json()).toMatchObject({ error: { code: 'request.invalid' } });
  });

  it('refuses a token of another session, a bad token and none, serving nothing', async () => {
    const other = await h.server.token({ sid: 'ses_other' });
    const refused = await get('', {}, other);
    expect(refused.status).toBe(404);
    const body = await refused.text();
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'blob.not_found' } });
    expect(body).not.toContain('line 00001');
    const pageRefused = await get('?line=1', {}, other);
    expect(pageRefused.status).toBe(404);
    expect((await get('', {}, 'not-a-token')).status).toBe(401);
    const none = await fetch(`${h.rt.url}${ref.path}`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'auth.token_missing' } });
  });

  it('ends the cell when its blob cannot be written: the spilled part is lost, not the run', async () => {
    mkdirSync(join(h.home, 'sessions', 'ses_disk'), { recursive: true });
    writeFileSync(join(h.home, 'sessions', 'ses_disk', 'blobs'), 'not a directory');
    const c = await TestClient.session(h.rt.url, await h.server.token({ sid: 'ses_disk' }));
    const events = await c.run(await h.server.python(CODE, { sid: 'ses_disk' }));
    c.close();
    const ended = events.at(-1);
    expect(ended).toMatchObject({ type: 'cell_ended', data: { status: 'ok' } });
    const outs = outputsFromEvents(events);
    expect(outs.map((o) => o.output_type)).toEqual(['stream']);
    const head = outs[0]?.output_type === 'stream' ? outs[0].text : '';
    expect(ALL.startsWith(head)).toBe(true);
    await verifyReceipt(
      ended?.type === 'cell_ended' ? ended.data.receipt : '',
      h.rt.identity.keys.signing,
      outs,
    );
    expect(h.logs.text).toContain('output lost');
  });

  it('collapses a progress bar before budgeting: 10,000 updates cost one line', async () => {
    const c = await TestClient.session(h.rt.url, token);
    const code = [
      'import sys',
      'for i in range(10001):',
      '    sys.stderr.write(f"\\r{i // 100:3d}%|{\'#\' * (i // 500):20s}|")',
      'sys.stderr.write("\\n")',
      'sys.stderr.flush()',
      'print("done")',
    ].join('\n');
    const outs = outputsFromEvents(await c.run(await h.server.python(code)));
    c.close();
    expect(outs).toEqual([
      { output_type: 'stream', name: 'stderr', text: `100%|${'#'.repeat(20)}|\n` },
      { output_type: 'stream', name: 'stdout', text: 'done\n' },
    ]);
  });
});
