/**
 * Where each line of a stream output starts, kept up to date as the text grows. Stream text
 * only ever grows at its end, except its last line, which a carriage return may rewrite
 * (journal.ts / terminalText.ts): so an update rescans from the last line's start only, and a
 * million-line output costs one scan in total, not one per frame.
 */
export interface LineIndex {
  readonly text: string;
  /** `starts[i]` is the offset of line i; there is always at least one line. */
  readonly starts: readonly number[];
}

export const EMPTY_INDEX: LineIndex = { text: '', starts: [0] };

/** The probe that tells "the same output, grown" from "another output". */
const PROBE = 256;

function scan(text: string, from: number, starts: number[]): void {
  for (let i = text.indexOf('\n', from); i !== -1; i = text.indexOf('\n', i + 1)) {
    starts.push(i + 1);
  }
}

/** Index `text`, reusing `prev` when `text` is `prev.text` grown (or with its last line redone). */
export function updateLineIndex(prev: LineIndex, text: string): LineIndex {
  if (text === prev.text) return prev;
  const lastStart = prev.starts[prev.starts.length - 1]!;
  const grown =
    text.length >= lastStart &&
    prev.text.length > 0 &&
    text.startsWith(prev.text.slice(0, Math.min(PROBE, lastStart)));
  if (!grown || (lastStart > 0 && text.charCodeAt(lastStart - 1) !== 10)) {
    const starts = [0];
    scan(text, 0, starts);
    return { text, starts };
  }
  const starts = prev.starts.slice(0, -1) as number[];
  starts.push(lastStart);
  scan(text, lastStart, starts);
  return { text, starts };
}

/** Number of lines shown (a final newline does not open an empty last line). */
export function lineCount(ix: LineIndex): number {
  const n = ix.starts.length;
  return n > 1 && ix.starts[n - 1] === ix.text.length ? n - 1 : n;
}

/**
 * The lines of a text that does not change (a cut stream's head or tail): its index and how
 * many lines it has — none for '', at most `max` — without one string per line.
 */
export function indexLines(text: string, max = Infinity): { index: LineIndex; length: number } {
  const index = updateLineIndex(EMPTY_INDEX, text);
  return { index, length: text === '' ? 0 : Math.min(lineCount(index), max) };
}

/** Line `i` without its newline. */
export function lineAt(ix: LineIndex, i: number): string {
  const start = ix.starts[i] ?? ix.text.length;
  const next = ix.starts[i + 1];
  return ix.text.slice(start, next === undefined ? undefined : next - 1);
}

/** Lines that contain `query` (case-insensitive), in order; at most `limit`. */
export function findLines(ix: LineIndex, query: string, limit = 10_000): number[] {
  if (!query) return [];
  const hay = ix.text.toLowerCase();
  const needle = query.toLowerCase();
  const out: number[] = [];
  let line = 0;
  for (let at = hay.indexOf(needle); at !== -1 && out.length < limit;) {
    while (line + 1 < ix.starts.length && ix.starts[line + 1]! <= at) line++;
    out.push(line);
    const next = ix.starts[line + 1];
    if (next === undefined) break;
    at = hay.indexOf(needle, next);
  }
  return out;
}
