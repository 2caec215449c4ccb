import { BLOB_REF_MIME, BlobRefSchema, type BlobRef, type Output } from '@spin/protocol';

/**
 * A stream the runtime's output budget cut (DESIGN.md §3 "Output has a budget"): its head came
 * inline, the rest went to a blob on the runtime, and — once the cell ended — its tail came
 * inline after the blob reference. The UI shows the three as one stream of `ref.lines` lines.
 */
export interface SpilledStream {
  ref: BlobRef;
  /** The head's text (the stream outputs of this name before the reference). */
  head: string;
  /** The tail's text (those after it), '' while the cell still runs. */
  tail: string;
}

/** What to render at each output position: an output as it is, a cut stream, or nothing. */
export type OutputSlot =
  | { kind: 'output'; index: number; output: Output }
  | { kind: 'spilled'; index: number; spilled: SpilledStream };

/**
 * Joins each blob reference with the stream outputs of its name around it. The combined view
 * takes the place of the first of them; the reference and the rest are not rendered on their
 * own. A reference that does not parse (an old or hostile output) is left as a plain output,
 * which shows its `text/plain` summary.
 */
export function planSpills(outputs: readonly Output[]): OutputSlot[] {
  const refs = new Map<number, BlobRef>();
  outputs.forEach((o, i) => {
    if (o.output_type !== 'display_data') return;
    const raw = o.data[BLOB_REF_MIME];
    if (raw === undefined) return;
    const parsed = BlobRefSchema.safeParse(raw);
    if (parsed.success) refs.set(i, parsed.data);
  });
  if (refs.size === 0) return outputs.map((output, index) => ({ kind: 'output', index, output }));

  const taken = new Set<number>();
  const at = new Map<number, SpilledStream>();
  const refIndexes = [...refs.keys()];
  refIndexes.forEach((ri, k) => {
    const ref = refs.get(ri)!;
    // the head: this stream's outputs since the previous reference of the same stream
    const prev = refIndexes
      .slice(0, k)
      .filter((j) => refs.get(j)!.stream === ref.stream)
      .pop();
    const next = refIndexes.slice(k + 1).find((j) => refs.get(j)!.stream === ref.stream);
    const head: number[] = [];
    for (let i = (prev ?? -1) + 1; i < ri; i++) {
      const o = outputs[i]!;
      if (o.output_type === 'stream' && o.name === ref.stream && !taken.has(i)) head.push(i);
    }
    const tail: number[] = [];
    if (ref.tail) {
      for (let i = ri + 1; i < (next ?? outputs.length); i++) {
        const o = outputs[i]!;
        if (o.output_type === 'stream' && o.name === ref.stream) tail.push(i);
      }
    }
    const text = (ix: number[]) =>
      ix.map((i) => (outputs[i] as Extract<Output, { output_type: 'stream' }>).text).join('');
    for (const i of [...head, ri, ...tail]) taken.add(i);
    at.set(head[0] ?? ri, { ref, head: text(head), tail: text(tail) });
  });

  const slots: OutputSlot[] = [];
  outputs.forEach((output, index) => {
    const spilled = at.get(index);
    if (spilled) slots.push({ kind: 'spilled', index, spilled });
    else if (!taken.has(index)) slots.push({ kind: 'output', index, output });
  });
  return slots;
}

/** Fetches `count` lines from line `line` (1-based) of a blob. */
export type FetchLines = (line: number, count: number) => Promise<string[]>;

/** Lines per request for the middle of a cut stream. */
export const PAGE_LINES = 1000;
/** Pages kept in memory (older ones are fetched again when scrolled back to). */
const MAX_PAGES = 64;

/**
 * The middle of a cut stream, fetched from the runtime's blob a page at a time as it scrolls
 * into view, with at most {@link MAX_PAGES} pages kept (least recently used go first). A page
 * that failed is tried again on the next request for it; `error` says why it failed.
 */
export class BlobLineCache {
  private readonly pages = new Map<number, string[]>();
  private readonly inFlight = new Set<number>();
  error: string | null = null;

  constructor(
    private readonly fetchLines: FetchLines,
    private readonly onChange: () => void,
  ) {}

  /** Line `n` (1-based) if its page is here. */
  get(n: number): string | undefined {
    const start = pageStart(n);
    const page = this.pages.get(start);
    if (!page) return undefined;
    this.pages.delete(start); // most recently used last
    this.pages.set(start, page);
    return page[n - start];
  }

  /** Calls `fn` for each line from `from` to `to` (1-based) that is here, in order. */
  forEachLoaded(from: number, to: number, fn: (n: number, text: string) => void): void {
    const starts = [...this.pages.keys()].sort((a, b) => a - b);
    for (const start of starts) {
      const page = this.pages.get(start)!;
      const first = Math.max(from, start);
      const last = Math.min(to, start + page.length - 1);
      for (let n = first; n <= last; n++) fn(n, page[n - start]!);
    }
  }

  /** Makes sure lines `from`…`to` (1-based, inclusive) are here or on their way. */
  want(from: number, to: number): void {
    for (let start = pageStart(from); start <= to; start += PAGE_LINES) {
      if (this.pages.has(start) || this.inFlight.has(start)) continue;
      this.inFlight.add(start);
      this.fetchLines(start, PAGE_LINES).then(
        (lines) => {
          this.inFlight.delete(start);
          this.pages.set(start, lines);
          while (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
          this.error = null;
          this.onChange();
        },
        (err: unknown) => {
          this.inFlight.delete(start);
          this.error = err instanceof Error ? err.message : String(err);
          this.onChange();
        },
      );
    }
  }

  /** Forget pages that may have grown (the last page of a blob still being written). */
  dropFrom(n: number): void {
    for (const start of [...this.pages.keys()]) {
      if (start + PAGE_LINES > n) this.pages.delete(start);
    }
  }
}

const pageStart = (n: number) => Math.floor((n - 1) / PAGE_LINES) * PAGE_LINES + 1;

/**
 * What the cell's header says when the output budget cut its output: how much there was and
 * how much came inline (the rest is on the runtime). Null when nothing was cut.
 */
export function outputCutSummary(outputs: readonly Output[]): string | null {
  let lines = 0;
  let bytes = 0;
  let inline = 0;
  let dropped = 0;
  let running = false;
  for (const slot of planSpills(outputs)) {
    if (slot.kind !== 'spilled') continue;
    const { ref, tail } = slot.spilled;
    lines += ref.lines;
    bytes += ref.bytes;
    inline += ref.head.lines + (ref.tail && tail ? ref.lines - ref.tail.fromLine + 1 : 0);
    dropped += ref.droppedBytes;
    running ||= ref.state === 'spilling';
  }
  if (lines === 0 && bytes === 0) return null;
  const fmt = (n: number) => n.toLocaleString('en-US');
  return (
    `output cut: ${fmt(inline)} of ${fmt(lines)} lines inline (${(bytes / 1e6).toFixed(1)} MB` +
    `${dropped > 0 ? `, ${(dropped / 1e6).toFixed(1)} MB not kept` : ''})${running ? '…' : ''}`
  );
}
