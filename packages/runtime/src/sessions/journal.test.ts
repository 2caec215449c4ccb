import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '@spin/protocol';
import { Journal, listSegments, type JournalLimits } from './journal.js';
import { replayJournal } from './replay.js';
import { sweepRetention } from './retention.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spin-journal-'));
  dirs.push(dir);
  return dir;
}
const journalDir = () => path.join(tempDir(), 'sessions', 'ses_1', 'journal');
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const stream = (text: string) =>
  ({
    type: 'stream',
    cell: 'c',
    jti: 'j',
    data: { output_type: 'stream', name: 'stdout', text },
  }) as const;
const textOf = (e: JournalEvent) => (e.type === 'stream' ? e.data.text : '');
const small: JournalLimits = { segmentBytes: 1024, windowBytes: 2000, windowEvents: 5 };

async function collect(it: AsyncIterable<JournalEvent>): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('Journal', () => {
  it('reloads events after a restart and keeps numbering without gaps', async () => {
    const dir = journalDir();
    const a = new Journal(dir, 'ses_1');
    a.append(stream('one'));
    a.append(stream('two'));
    a.close();
    const b = new Journal(dir, 'ses_1');
    expect(b.headSeq).toBe(2);
    expect(b.append(stream('three')).seq).toBe(3);
    expect(b.windowFrom(2)!.map(textOf)).toEqual(['two', 'three']);
    expect((await collect(b.readFrom(2))).map(textOf)).toEqual(['two', 'three']);
    b.close();
  });

  it('drops a torn last line from a crash, so the next event is not glued to it', () => {
    const dir = journalDir();
    const a = new Journal(dir, 'ses_1');
    a.append(stream('kept'));
    a.close();
    const file = listSegments(dir)[0]!.file;
    appendFileSync(file, '{"sid":"ses_1","seq":2,"ts":"2026-'); // crash mid-write
    const b = new Journal(dir, 'ses_1');
    expect(b.headSeq).toBe(1);
    b.append(stream('after restart'));
    b.close();
    const c = new Journal(dir, 'ses_1');
    expect(c.headSeq).toBe(2);
    expect(c.windowFrom(2)![0]).toMatchObject({ seq: 2, data: { text: 'after restart' } });
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    c.close();
  });

  it('rotates segments by size and keeps only a window in memory; disk has the rest', async () => {
    const dir = journalDir();
    const j = new Journal(dir, 'ses_1', small);
    for (let i = 1; i <= 200; i++) j.append(stream(`event ${i}`));
    expect(listSegments(dir).length).toBeGreaterThan(10);
    for (const s of listSegments(dir)) expect(statSync(s.file).size).toBeLessThan(1024 + 200);
    expect(j.windowFrom(1)).toBeNull();
    expect(j.windowFrom(196)!.map(textOf)).toEqual(
      [196, 197, 198, 199, 200].map((i) => `event ${i}`),
    );
    const all = await collect(j.readFrom(1));
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const from150 = await collect(j.readFrom(150));
    expect(from150[0]?.seq).toBe(150);
    j.close();
    const again = new Journal(dir, 'ses_1', small);
    expect(again.headSeq).toBe(200);
    expect(again.append(stream('next')).seq).toBe(201);
    again.close();
  });

  it('reads the single-file journal of earlier versions', () => {
    const dir = journalDir();
    mkdirSync(path.dirname(dir), { recursive: true });
    const line = (seq: number) =>
      JSON.stringify({ sid: 'ses_1', seq, ts: 't', ...stream(`old ${seq}`) }) + '\n';
    writeFileSync(path.join(path.dirname(dir), 'journal.jsonl'), line(1) + line(2));
    const j = new Journal(dir, 'ses_1');
    expect(j.headSeq).toBe(2);
    expect(j.windowFrom(1)!.map(textOf)).toEqual(['old 1', 'old 2']);
    j.close();
  });
});

describe('replayJournal', () => {
  it('delivers every event once, in order, while new ones keep arriving', async () => {
    const j = new Journal(journalDir(), 'ses_1', small);
    for (let i = 1; i <= 300; i++) j.append(stream(`before ${i}`));
    const live = new Set<{ deliver(e: JournalEvent): void }>();
    const got: number[] = [];
    const sub = { deliver: (e: JournalEvent) => got.push(e.seq) };
    // a writer that appends while the replay reads from disk, as a running cell does
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 2000; i++) {
        const ev = j.append(stream(`during ${i}`));
        for (const s of live) s.deliver(ev);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const fromSeq = await replayJournal(j, sub, 0, {
      cancelled: () => false,
      subscribe: () => live.add(sub),
    });
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    writing = false;
    await writer;
    expect(fromSeq).toBe(1);
    expect(got.length).toBeGreaterThan(300);
    expect(got).toEqual(Array.from({ length: j.headSeq }, (_, i) => i + 1));
    j.close();
  });

  it('resumes after lastSeq, and from the oldest kept event when retention removed older ones', async () => {
    const dir = journalDir();
    const j = new Journal(dir, 'ses_1', small);
    for (let i = 1; i <= 100; i++) j.append(stream(`e${i}`));
    const got: number[] = [];
    const sub = { deliver: (e: JournalEvent) => got.push(e.seq) };
    const opts = { cancelled: () => false, subscribe: () => undefined };
    expect(await replayJournal(j, sub, 90, opts)).toBe(91);
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => 91 + i));
    const [first, second] = listSegments(dir);
    rmSync(first!.file);
    got.length = 0;
    expect(await replayJournal(j, sub, 0, opts)).toBe(second!.firstSeq);
    expect(got[0]).toBe(second!.firstSeq);
    expect(got.at(-1)).toBe(100);
    j.close();
  });
});

describe('retention', () => {
  const day = 86_400_000;
  function oldJournal(home: string, sid: string, events: number, ageMs: number): string {
    const dir = path.join(home, 'sessions', sid, 'journal');
    const j = new Journal(dir, sid, small);
    for (let i = 1; i <= events; i++) j.append(stream(`${sid} ${i}`));
    j.close();
    const t = (Date.now() - ageMs) / 1000;
    for (const s of listSegments(dir)) utimesSync(s.file, t, t);
    return dir;
  }

  it('deletes what is older than the maximum age and keeps the seq numbering', () => {
    const home = tempDir();
    const old = oldJournal(home, 'ses_old', 50, 10 * day);
    const fresh = oldJournal(home, 'ses_new', 50, 0);
    const freshFiles = readdirSync(fresh);
    const r = sweepRetention(home, { maxAgeMs: 7 * day, maxBytes: 1e12 }, () => false);
    expect(r.deletedFiles).toBeGreaterThan(0);
    expect(readdirSync(fresh)).toEqual(freshFiles);
    // only an empty marker is left, named after the next seq
    const left = listSegments(old);
    expect(left.map((s) => [s.firstSeq, statSync(s.file).size])).toEqual([[51, 0]]);
    const j = new Journal(old, 'ses_old', small);
    expect(j.headSeq).toBe(50);
    expect(j.append(stream('new')).seq).toBe(51);
    j.close();
  });

  it('deletes the oldest first until under the size limit, never a file in use', () => {
    const home = tempDir();
    const a = oldJournal(home, 'ses_a', 100, 3 * day);
    const b = oldJournal(home, 'ses_b', 100, 1 * day);
    const bSegments = listSegments(b);
    const bBytes = bSegments.reduce((n, s) => n + statSync(s.file).size, 0);
    const inUse = listSegments(a).at(-1)!.file;
    sweepRetention(home, { maxAgeMs: 30 * day, maxBytes: bBytes + 2000 }, (f) => f === inUse);
    expect(existsSync(inUse)).toBe(true);
    expect(listSegments(b)).toEqual(bSegments); // the newer session is untouched
    const aLeft = listSegments(a).reduce((n, s) => n + statSync(s.file).size, 0);
    expect(aLeft + bBytes).toBeLessThanOrEqual(bBytes + 2000);
  });
  it('applies the same retention to spilled blobs, never to one being written', () => {
    const home = tempDir();
    const blobs = path.join(home, 'sessions', 'ses_b', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const t = (Date.now() - 10 * day) / 1000;
    for (const id of ['b_old', 'b_live']) {
      writeFileSync(path.join(blobs, `${id}.txt`), 'x'.repeat(1000));
      writeFileSync(path.join(blobs, `${id}.json`), '{}');
      utimesSync(path.join(blobs, `${id}.txt`), t, t);
    }
    const live = path.join(blobs, 'b_live.txt');
    sweepRetention(home, { maxAgeMs: 7 * day, maxBytes: 1e12 }, (f) => f === live);
    expect(readdirSync(blobs).sort()).toEqual(['b_live.json', 'b_live.txt']);
  });
});
