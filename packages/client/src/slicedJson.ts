/** How long one slice of serialising may hold the thread before it yields (a frame is 16 ms). */
const SLICE_MS = 6;
/** Pieces are joined into strings of about this many UTF-16 units. */
const CHUNK = 64 * 1024;
/** A string longer than this is written in pieces of this size (each piece its own step). */
const STRING_PIECE = 64 * 1024;
/** Array items written by one `JSON.stringify` call when they are all primitives. */
const RUN = 256;

/** Options of {@link jsonBlobInSlices}. */
export interface SliceOptions {
  /** Longest slice before yielding, in ms (default 6). */
  sliceMs?: number;
  /** How to give the thread back between slices (default: a macrotask). */
  yieldNow?: () => Promise<void>;
}

type Frame =
  | { kind: 'array'; value: readonly unknown[]; at: number }
  | { kind: 'object'; value: Record<string, unknown>; keys: string[]; at: number; wrote: boolean }
  | { kind: 'string'; value: string; at: number };

/**
 * A macrotask: Node's `setImmediate` (I/O runs first), else a timeout. Not
 * `scheduler.yield()`: its continuations go before other tasks, so the page's timers and
 * socket messages would wait for the whole body anyway.
 */
function defaultYield(): Promise<void> {
  const later = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (typeof later === 'function') return new Promise((resolve) => later(resolve));
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * `JSON.stringify(value)` as a Blob (`application/json`), written a few milliseconds at a time
 * with the thread given back in between — so posting a receipt with 100,000 rows of outputs
 * never holds the browser's main thread for the whole text (issue 11: no stall over 100 ms),
 * and the text never exists as one string (each slice's text goes into the Blob, which the
 * browser keeps off the JS heap and `fetch` sends without copying it through script).
 *
 * The text is what `JSON.stringify` writes (same members, same order, `toJSON` honoured,
 * `undefined`/functions dropped from objects and `null` in arrays, non-finite numbers `null`),
 * except that a string longer than 64 Ki units may be written as several escaped pieces, which
 * can split a surrogate pair into two `\uXXXX` escapes — `JSON.parse` reads it back the same.
 */
export async function jsonBlobInSlices(value: unknown, opts: SliceOptions = {}): Promise<Blob> {
  const sliceMs = opts.sliceMs ?? SLICE_MS;
  const yieldNow = opts.yieldNow ?? defaultYield;
  const parts: Blob[] = [];
  let chunks: string[] = [];
  let pieces: string[] = [];
  let size = 0;
  const out = (s: string): void => {
    pieces.push(s);
    size += s.length;
    if (size >= CHUNK) {
      chunks.push(pieces.join(''));
      pieces = [];
      size = 0;
    }
  };
  const stack: Frame[] = [];
  /** Writes a primitive, or opens a frame for an array, object or long string. */
  const write = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length > STRING_PIECE) {
        out('"');
        stack.push({ kind: 'string', value: v, at: 0 });
      } else out(JSON.stringify(v));
    } else if (v === null || typeof v !== 'object') {
      // undefined, functions and symbols reach here only as array items: null, as there
      out((JSON.stringify(v) as string | undefined) ?? 'null'); // a bigint throws, as it would
    } else if (Array.isArray(v)) {
      out('[');
      stack.push({ kind: 'array', value: v, at: 0 });
    } else {
      const obj = v as Record<string, unknown>;
      out('{');
      stack.push({ kind: 'object', value: obj, keys: Object.keys(obj), at: 0, wrote: false });
    }
  };

  let t0 = performance.now();
  let steps = 0;
  write(toJson(value, ''));
  while (stack.length > 0) {
    if ((++steps & 31) === 0 && performance.now() - t0 >= sliceMs) {
      chunks.push(pieces.join(''));
      pieces = [];
      size = 0;
      parts.push(new Blob(chunks));
      chunks = [];
      await yieldNow();
      t0 = performance.now();
    }
    const top = stack[stack.length - 1]!;
    if (top.kind === 'string') {
      const piece = top.value.slice(top.at, top.at + STRING_PIECE);
      top.at += STRING_PIECE;
      out(JSON.stringify(piece).slice(1, -1));
      if (top.at >= top.value.length) {
        out('"');
        stack.pop();
      }
    } else if (top.kind === 'array') {
      const arr = top.value;
      if (top.at >= arr.length) {
        out(']');
        stack.pop();
        continue;
      }
      // a run of primitives (a table column) in one call: same text, far fewer steps
      const end = Math.min(arr.length, top.at + RUN);
      let flat = top.at;
      while (flat < end && isFlat(arr[flat])) flat++;
      if (flat - top.at > 1) {
        const text = JSON.stringify(arr.slice(top.at, flat));
        out((top.at > 0 ? ',' : '') + text.slice(1, -1));
        top.at = flat;
        continue;
      }
      if (top.at > 0) out(',');
      write(toJson(arr[top.at], String(top.at)));
      top.at++;
    } else {
      if (top.at >= top.keys.length) {
        out('}');
        stack.pop();
        continue;
      }
      const key = top.keys[top.at++]!;
      const item = toJson(top.value[key], key);
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      out(`${top.wrote ? ',' : ''}${JSON.stringify(key)}:`);
      top.wrote = true;
      write(item);
    }
  }
  chunks.push(pieces.join(''));
  parts.push(new Blob(chunks));
  return new Blob(parts, { type: 'application/json' });
}

/** What `JSON.stringify` writes for `v` under `key`: its `toJSON(key)` when it has one. */
function toJson(v: unknown, key: string): unknown {
  if (v !== null && typeof v === 'object') {
    const f = (v as { toJSON?: unknown }).toJSON;
    if (typeof f === 'function') return (f as (k: string) => unknown).call(v, key);
  }
  return v;
}

/** A value `JSON.stringify` writes in bounded time without looking inside it. */
function isFlat(v: unknown): boolean {
  switch (typeof v) {
    case 'number':
    case 'boolean':
      return true;
    case 'string':
      return v.length <= 1024;
    case 'object':
      return v === null;
    default:
      return false; // undefined, functions, symbols (null in arrays) and bigints go one by one
  }
}
