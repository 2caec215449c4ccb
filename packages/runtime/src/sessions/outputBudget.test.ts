import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BLOB_REF_MIME,
  BlobRefSchema,
  outputsFromEvents,
  type BlobRef,
  type JournalEvent,
} from '@spin/protocol';
import { BlobStore } from '../blobs/blobStore.js';
import { OutputBudget, type OutputEvent } from './outputBudget.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A budget over a real blob store in a temp dir, recording what it emits as journal events. */
function budget(inlineBytes: number, spillMaxBytes = 1 << 30) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spin-budget-'));
  dirs.push(dir);
  const store = new BlobStore(() => dir);
  const events: JournalEvent[] = [];
  const b = new OutputBudget(
    { inlineBytes, spillMaxBytes },
    {
      emit: (e: OutputEvent) =>
        events.push({
          ...e,
          sid: 's',
          seq: events.length + 1,
          cell: 'c',
          jti: 'j',
          ts: '',
        } as JournalEvent),
      createBlob: (stream) => store.create({ sid: 's', cell: 'c', jti: 'j', stream }),
    },
  );
  const refs = () =>
    events.flatMap((e) =>
      (e.type === 'display_data' || e.type === 'update_display_data') && e.data.data[BLOB_REF_MIME]
        ? [BlobRefSchema.parse(e.data.data[BLOB_REF_MIME])]
        : [],
    );
  const blobText = (ref: BlobRef) => readFileSync(path.join(dir, 'blobs', `${ref.id}.txt`), 'utf8');
  const inlineBytes_ = () =>
    events.reduce((n, e) => n + (e.type === 'stream' ? Buffer.byteLength(e.data.text) : 0), 0);
  return { b, events, refs, blobText, dir, inlineBytes: inlineBytes_ };
}

const texts = (events: JournalEvent[]) =>
  outputsFromEvents(events).map((o) => (o.output_type === 'stream' ? o.text : o.output_type));

describe('OutputBudget', () => {
  it('passes output under the limit through unchanged, with no blob', () => {
    const { b, events, refs } = budget(1000);
    b.stream('stdout', 'hello\n');
    b.stream('stderr', 'warn\n');
    b.finish();
    expect(texts(events)).toEqual(['hello\n', 'warn\n']);
    expect(refs()).toEqual([]);
  });

  it('charges a 10,000-update progress bar one line, live updates included', () => {
    const { b, events, refs } = budget(200);
    for (let i = 0; i <= 10_000; i++) b.stream('stderr', `\r${String(i).padStart(5)}/10000`);
    b.stream('stderr', '\n');
    b.stream('stdout', 'after\n');
    b.finish();
    expect(refs()).toEqual([]);
    expect(texts(events)).toEqual([`10000/10000\n`, 'after\n']);
  });

  it('spills past the limit: head, blob reference, tail; the blob holds every line', () => {
    const { b, events, refs, blobText, inlineBytes } = budget(4096);
    const all = Array.from({ length: 10_000 }, (_, i) => `line ${i + 1}\n`);
    for (let i = 0; i < all.length; i += 7) b.stream('stdout', all.slice(i, i + 7).join(''));
    b.finish();
    const ref = refs().at(-1)!;
    const text = blobText(ref);
    expect(text).toBe(all.join(''));
    expect(ref).toMatchObject({ state: 'complete', bytes: Buffer.byteLength(text), lines: 10_000 });
    expect(ref.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    const [head, display, tail] = outputsFromEvents(events);
    expect(display?.output_type).toBe('display_data');
    expect(head).toMatchObject({
      output_type: 'stream',
      text: all.slice(0, ref.head.lines).join(''),
    });
    expect(Buffer.byteLength(head?.output_type === 'stream' ? head.text : '')).toBe(ref.head.bytes);
    expect(tail).toMatchObject({
      output_type: 'stream',
      text: Buffer.from(text).subarray(ref.tail!.offset).toString(),
    });
    expect(tail?.output_type === 'stream' && tail.text.endsWith('line 10000\n')).toBe(true);
    expect(all.slice(ref.tail!.fromLine - 1).join('')).toBe(
      tail?.output_type === 'stream' && tail.text,
    );
    expect(inlineBytes()).toBeLessThanOrEqual(4096);
  });

  it('writes blobs with mode 0600', () => {
    const { b, refs, dir } = budget(100);
    b.stream('stdout', 'x'.repeat(1000) + '\n');
    b.finish();
    const ref = refs().at(-1)!;
    expect(statSync(path.join(dir, 'blobs', `${ref.id}.txt`)).mode & 0o777).toBe(0o600);
  });

  it('keeps at most spillMaxBytes in a blob and says how much it dropped', () => {
    const { b, refs } = budget(100, 1000);
    for (let i = 0; i < 100; i++) b.stream('stdout', 'y'.repeat(99) + '\n');
    b.finish();
    const ref = refs().at(-1)!;
    expect(ref.bytes).toBeLessThanOrEqual(1000);
    expect(ref.bytes + ref.droppedBytes).toBe(100 * 100);
  });

  it('drops rich outputs past the limit and says so once', () => {
    const { b, events } = budget(100);
    const display = (n: number): OutputEvent => ({
      type: 'display_data',
      data: { output_type: 'display_data', data: { 'text/plain': String(n) }, metadata: {} },
    });
    expect(b.rich(display(1), 60)).toBe(true);
    expect(b.rich(display(2), 60)).toBe(false);
    expect(b.rich(display(3), 60)).toBe(false);
    b.finish();
    expect(texts(events)).toEqual([
      'display_data',
      "\n[2 outputs (120 bytes) dropped: over the cell's output limit of 100 bytes]\n",
    ]);
  });

  it('starts afresh after clear_output', () => {
    const { b, events, refs } = budget(100);
    b.stream('stdout', 'z'.repeat(500) + '\n');
    b.clear(false);
    b.stream('stdout', 'fresh\n');
    b.finish();
    expect(refs().at(-1)?.state).toBe('complete');
    expect(texts(events)).toEqual(['fresh\n']);
  });
});
