import { describe, expect, it } from 'vitest';
import { BLOB_REF_MIME, type BlobRef, type Output } from '@spin/protocol';
import { BlobLineCache, PAGE_LINES, outputCutSummary, planSpills } from './spilled';

const stream = (name: 'stdout' | 'stderr', text: string): Output => ({
  output_type: 'stream',
  name,
  text,
});
const lines = (from: number, to: number) => {
  let s = '';
  for (let i = from; i <= to; i++) s += `line ${i}\n`;
  return s;
};
function refOutput(ref: Partial<BlobRef> & { stream: 'stdout' | 'stderr' }): Output {
  const full: BlobRef = {
    id: 'b_0123456789abcdef',
    state: 'complete',
    bytes: 1000,
    lines: 100,
    sha256: 'a'.repeat(64),
    head: { lines: 10, bytes: 80 },
    tail: { fromLine: 91, offset: 900 },
    droppedBytes: 0,
    path: '/v1/blobs/b_0123456789abcdef',
    ...ref,
  };
  return {
    output_type: 'display_data',
    metadata: {},
    data: { [BLOB_REF_MIME]: full, 'text/plain': 'summary' },
  };
}

describe('planSpills', () => {
  it('leaves outputs without a blob reference as they are', () => {
    const outs = [stream('stdout', 'a\n'), stream('stderr', 'b\n')];
    expect(planSpills(outs)).toEqual([
      { kind: 'output', index: 0, output: outs[0] },
      { kind: 'output', index: 1, output: outs[1] },
    ]);
  });

  it('joins head, reference and tail of the same stream into one, in the head’s place', () => {
    // 10 head lines plus the start of line 11 (the blob has it whole), then the tail 91–100
    const outs = [
      stream('stdout', lines(1, 10) + 'line 1'),
      stream('stderr', 'warning\n'),
      refOutput({ stream: 'stdout' }),
      stream('stdout', lines(91, 100)),
    ];
    const slots = planSpills(outs);
    expect(slots.map((s) => s.kind)).toEqual(['spilled', 'output']);
    const spilled = slots[0]!.kind === 'spilled' ? slots[0]!.spilled : null;
    expect(spilled?.ref.lines).toBe(100);
    expect(spilled?.head).toBe(lines(1, 10) + 'line 1');
    expect(spilled?.tail).toBe(lines(91, 100));
    expect(slots[1]).toEqual({ kind: 'output', index: 1, output: outs[1] });
  });

  it('while the cell runs (no tail yet) later output of the stream stays outside', () => {
    const outs = [
      stream('stdout', lines(1, 10)),
      refOutput({ stream: 'stdout', state: 'spilling', sha256: null, tail: null }),
      stream('stderr', 'later\n'),
    ];
    const slots = planSpills(outs);
    expect(slots.map((s) => s.kind)).toEqual(['spilled', 'output']);
    expect(slots[0]!.kind === 'spilled' && slots[0]!.spilled.tail).toBe('');
  });

  it('shows a reference that does not parse as a plain output (its text summary)', () => {
    const bad: Output = {
      output_type: 'display_data',
      metadata: {},
      data: { [BLOB_REF_MIME]: { id: '../../etc/passwd', lines: -1 }, 'text/plain': 'cut' },
    };
    const outs = [stream('stdout', 'a\n'), bad];
    expect(planSpills(outs).map((s) => s.kind)).toEqual(['output', 'output']);
  });

  it('keeps two cut streams apart (after a clear, or stdout and stderr)', () => {
    const outs = [
      stream('stdout', lines(1, 10)),
      refOutput({ stream: 'stdout' }),
      stream('stdout', lines(91, 100)),
      stream('stderr', lines(1, 10)),
      refOutput({ stream: 'stderr', id: 'b_fedcba9876543210' }),
      stream('stderr', lines(91, 100)),
    ];
    const slots = planSpills(outs);
    expect(slots.map((s) => s.kind)).toEqual(['spilled', 'spilled']);
    expect(slots.map((s) => (s.kind === 'spilled' ? s.spilled.ref.stream : null))).toEqual([
      'stdout',
      'stderr',
    ]);
  });
});

describe('BlobLineCache', () => {
  const blob = (n: number) => `blob line ${n}`;
  function setup() {
    const calls: [number, number][] = [];
    let fail = false;
    let changes = 0;
    const cache = new BlobLineCache(
      async (line, count) => {
        calls.push([line, count]);
        if (fail) throw new Error('runtime unreachable');
        return Array.from({ length: count }, (_, i) => blob(line + i));
      },
      () => changes++,
    );
    return { cache, calls, setFail: (f: boolean) => (fail = f), changes: () => changes };
  }
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it('fetches whole pages for the lines in view, once', async () => {
    const { cache, calls, changes } = setup();
    expect(cache.get(1500)).toBeUndefined();
    cache.want(1500, 2100);
    cache.want(1600, 1700); // already on its way
    await settle();
    expect(calls).toEqual([
      [1001, PAGE_LINES],
      [2001, PAGE_LINES],
    ]);
    expect(cache.get(1500)).toBe(blob(1500));
    expect(cache.get(2100)).toBe(blob(2100));
    expect(changes()).toBe(2);
    cache.want(1001, 1001);
    await settle();
    expect(calls).toHaveLength(2);
  });

  it('says why a page failed and fetches it again when asked', async () => {
    const { cache, calls, setFail } = setup();
    setFail(true);
    cache.want(5, 5);
    await settle();
    expect(cache.error).toBe('runtime unreachable');
    expect(cache.get(5)).toBeUndefined();
    setFail(false);
    cache.want(5, 5);
    await settle();
    expect(cache.get(5)).toBe(blob(5));
    expect(cache.error).toBeNull();
    expect(calls).toHaveLength(2);
  });

  it('keeps a bounded number of pages, dropping the least recently used', async () => {
    const { cache, calls } = setup();
    for (let p = 0; p < 70; p++) cache.want(p * PAGE_LINES + 1, p * PAGE_LINES + 1);
    await settle();
    expect(cache.get(1)).toBeUndefined(); // the first pages went
    expect(cache.get(69 * PAGE_LINES + 1)).toBe(blob(69 * PAGE_LINES + 1));
    cache.want(1, 1);
    await settle();
    expect(calls).toHaveLength(71);
  });

  it('forgets the growing last page of a blob still being written', async () => {
    const { cache, calls } = setup();
    cache.want(1, 2500);
    await settle();
    cache.dropFrom(2500);
    expect(cache.get(1000)).toBe(blob(1000));
    expect(cache.get(2001)).toBeUndefined();
    cache.want(2001, 2001);
    await settle();
    expect(calls).toHaveLength(4);
  });
});

describe('outputCutSummary', () => {
  it('says how much of a cut output came inline, and nothing when nothing was cut', () => {
    expect(outputCutSummary([stream('stdout', 'a\n')])).toBeNull();
    const outs = [
      stream('stdout', lines(1, 10)),
      refOutput({ stream: 'stdout', lines: 1_000_000, bytes: 11_900_000 }),
      stream('stdout', lines(999_991, 1_000_000)),
    ];
    const cut = [
      refOutput({
        stream: 'stdout',
        lines: 1_000_000,
        bytes: 11_900_000,
        tail: { fromLine: 999_991, offset: 0 },
      }),
    ];
    expect(outputCutSummary([outs[0]!, cut[0]!, outs[2]!])).toBe(
      'output cut: 20 of 1,000,000 lines inline (11.9 MB)',
    );
    const running = refOutput({ stream: 'stdout', state: 'spilling', sha256: null, tail: null });
    expect(outputCutSummary([outs[0]!, running])).toBe(
      'output cut: 10 of 100 lines inline (0.0 MB)…',
    );
  });
});

describe('BlobLineCache.forEachLoaded', () => {
  it('visits the fetched lines in order, within the range, and nothing else', async () => {
    const cache = new BlobLineCache(
      async (line, count) => Array.from({ length: count }, (_, i) => `l${line + i}`),
      () => undefined,
    );
    cache.want(2001, 2001);
    cache.want(1, 1);
    await new Promise((r) => setTimeout(r, 0));
    const seen: number[] = [];
    cache.forEachLoaded(990, 2005, (n, t) => {
      expect(t).toBe(`l${n}`);
      seen.push(n);
    });
    expect(seen).toEqual([...range(990, 1000), ...range(2001, 2005)]);
  });
});

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}
