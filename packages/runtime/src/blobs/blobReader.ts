import { createReadStream } from 'node:fs';
import type { BlobMeta } from './blobStore.js';

/** Byte offset of the nearest recorded line start at or before `line` (binary search). */
function checkpoint(meta: BlobMeta, line: number): [number, number] {
  const idx = meta.index;
  let lo = 0;
  let hi = idx.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (idx[mid]![0] <= line) lo = mid;
    else hi = mid - 1;
  }
  return idx[lo] ?? [1, 0];
}

/**
 * Lines `line`…`line + count - 1` (1-based) of a blob, read from the nearest checkpoint and
 * streamed (a page never needs more than itself in memory). Stops early, at a line boundary,
 * once `maxBytes` of text are collected; returns the next line to ask for, or null past the
 * end of what is written.
 */
export async function readLines(
  file: string,
  meta: BlobMeta,
  line: number,
  count: number,
  maxBytes: number,
): Promise<{ lines: string[]; nextLine: number | null }> {
  const out: string[] = [];
  if (line > meta.lines || meta.bytes === 0) return { lines: out, nextLine: null };
  const [startLine, startOffset] = checkpoint(meta, line);
  let current = startLine;
  let bytes = 0;
  let pending: Buffer[] = [];
  const stream = createReadStream(file, {
    start: startOffset,
    end: meta.bytes - 1,
    highWaterMark: 256 * 1024,
  });
  const done = (): boolean => out.length >= count || bytes >= maxBytes;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
        if (current >= line) {
          pending.push(chunk.subarray(from, nl));
          const text = Buffer.concat(pending).toString('utf8');
          out.push(text);
          bytes += Buffer.byteLength(text) + 1;
        }
        pending = [];
        current++;
        from = nl + 1;
        if (done()) break;
      }
      if (done()) break;
      if (current >= line) pending.push(chunk.subarray(from));
    }
  } finally {
    stream.destroy();
  }
  // a last line without newline
  if (!done() && pending.length > 0 && current >= line) {
    const text = Buffer.concat(pending).toString('utf8');
    if (text.length > 0) {
      out.push(text);
      current++;
    }
  }
  const nextLine = line + out.length;
  return { lines: out, nextLine: nextLine <= meta.lines ? nextLine : null };
}

/** A readable stream of blob bytes `start`…`end` inclusive. */
export function readBytes(file: string, start: number, end: number) {
  return createReadStream(file, { start, end, highWaterMark: 256 * 1024 });
}
