import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

/** 400 numbered lines, each flushed on its own (one iopub message each), 2 ms apart. */
const CODE = [
  'import time',
  'for i in range(1, 401):',
  '    print(f"line {i}", flush=True)',
  '    time.sleep(0.002)',
].join('\n');

const seqs = (events: JournalEvent[]) => events.map((e) => e.seq);
const lines = (events: JournalEvent[]) =>
  events
    .map((e) => (e.type === 'stream' ? e.data.text : ''))
    .join('')
    .split('\n')
    .filter(Boolean);

describe('journal on disk: late joiners and restarts (small segments, small window)', () => {
  let h: Harness;
  let early: JournalEvent[];

  beforeAll(async () => {
    // segments of 2 KiB and a 4 KiB window: nearly all history lives only on disk
    h = await startPaired({ journalSegmentBytes: 2048, journalWindowBytes: 4096 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('gives a client that joins mid-cell the same journal as one attached from the start', async () => {
    const token = await h.server.token();
    const first = await TestClient.session(h.rt.url, token);
    const reply = await first.execute(await h.server.python(CODE));
    expect(reply.type).toBe('accepted');
    // join once a few hundred lines are out, so the replay must read segments from disk
    await first.next(
      (m) =>
        m.type === 'event' && m.event.type === 'stream' && /line 200\b/.test(m.event.data.text),
    );
    const late = await TestClient.session(h.rt.url, token);
    const done = (c: TestClient) =>
      c.next((m) => m.type === 'event' && m.event.type === 'cell_ended');
    await Promise.all([done(first), done(late)]);
    early = first.events();
    const joined = late.events();
    expect(JSON.stringify(joined)).toBe(JSON.stringify(early));
    expect(seqs(joined)).toEqual(Array.from({ length: joined.length }, (_, i) => i + 1));
    expect(lines(joined)).toEqual(Array.from({ length: 400 }, (_, i) => `line ${i + 1}`));
    const segments = readdirSync(join(h.home, 'sessions', 'ses_1', 'journal'));
    expect(segments.length).toBeGreaterThan(5);
    first.close();
    late.close();
  });

  it('replays the whole journal from disk after a restart, and resumes from any lastSeq', async () => {
    await h.restart();
    const token = await h.server.token();
    const all = await TestClient.session(h.rt.url, token);
    expect(JSON.stringify(all.events())).toBe(JSON.stringify(early));
    all.close();
    const from = Math.floor(early.length / 3);
    const resumed = await TestClient.session(h.rt.url, token, from);
    expect(seqs(resumed.events())).toEqual(seqs(early).slice(from));
    const attached = resumed.messages.find((m) => m.type === 'attached');
    expect(attached).toMatchObject({ fromSeq: from + 1, headSeq: early.length });
    resumed.close();
  });
});
