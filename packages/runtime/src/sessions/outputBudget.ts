import {
  BLOB_REF_MIME,
  appendTerminalText,
  blobPath,
  hasTerminalControls,
  type BlobRef,
} from '@spin/protocol';
import type { BlobWriter } from '../blobs/blobStore.js';
import type { NewJournalEvent } from './journal.js';

/** An output event without the fields the execution adds (cell, jti). */
export type OutputEvent = NewJournalEvent extends infer E
  ? E extends NewJournalEvent
    ? Omit<E, 'cell' | 'jti'>
    : never
  : never;
type StreamName = 'stdout' | 'stderr';

/** Where a budget sends what it lets through, and where it spills the rest. */
export interface OutputSink {
  emit(event: OutputEvent): void;
  createBlob(stream: StreamName): BlobWriter;
}

/** Limits of one cell's output. */
export interface OutputLimits {
  /** Inline limit: what streams live and goes into the receipt, head and tail included. */
  inlineBytes: number;
  /** A blob keeps at most this much; the rest is counted as dropped. */
  spillMaxBytes: number;
}

/** Longest unfinished line kept open for carriage returns; longer ones are committed as is. */
const OPEN_LINE_CAP = 64 * 1024;
/** Spilling blob references are refreshed (counts) at most this often. */
const REF_UPDATE_MS = 1000;

const byteLength = (s: string) => Buffer.byteLength(s, 'utf8');
const countLines = (s: string) => {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
};
/** The visible text of a collapsed line (its cursor marker dropped). */
const visible = (openLine: string) => {
  const cr = openLine.indexOf('\r');
  return cr < 0 ? openLine : openLine.slice(0, cr);
};

interface StreamState {
  /** The unfinished last line, collapsed (may end in a cursor marker). */
  open: string;
  /** Committed text shown inline (held until the stream spills or the cell ends). */
  head: string[];
  headBytes: number;
  headLines: number;
  blob: BlobWriter | null;
  /** The newest committed text of a spilling stream, at most `tailBytes`. */
  tail: string[];
  tailBytes: number;
  dropped: number;
  lastRefUpdate: number;
}

/**
 * One cell's output budget (DESIGN.md §3 "Output has a budget"). Stream text is collapsed as a
 * terminal shows it (carriage returns, backspaces) before it is counted, so a progress bar
 * costs one line. Output streams live up to the inline limit; past it a stream spills to a
 * blob that holds all of it (head included, so it pages from line 1): the client gets the
 * head, a blob reference ({@link BLOB_REF_MIME}) and, when the cell ends, the tail. Rich
 * outputs past the limit are dropped and counted in a notice.
 */
export class OutputBudget {
  private used = 0;
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private readonly streams = new Map<StreamName, StreamState>();
  private droppedRich = 0;
  private droppedRichBytes = 0;
  private spilled = false;

  constructor(
    readonly limits: OutputLimits,
    private readonly sink: OutputSink,
  ) {
    // the tails of both streams must fit beside the head
    this.tailLimit = Math.min(64 * 1024, Math.floor(limits.inlineBytes / 8));
    this.headLimit = limits.inlineBytes - 2 * this.tailLimit;
  }

  /** True once something went past the inline limit (spilled or dropped). */
  get exceeded(): boolean {
    return this.spilled || this.droppedRich > 0;
  }

  private state(name: StreamName): StreamState {
    let s = this.streams.get(name);
    if (!s) {
      s = {
        open: '',
        head: [],
        headBytes: 0,
        headLines: 0,
        blob: null,
        tail: [],
        tailBytes: 0,
        dropped: 0,
        lastRefUpdate: 0,
      };
      this.streams.set(name, s);
    }
    return s;
  }

  /** Account for a stream chunk: emit it, or the part that fits, or spill it. */
  stream(name: StreamName, text: string): void {
    if (text.length === 0) return;
    const s = this.state(name);
    const plain = !hasTerminalControls(text) && !s.open.includes('\r');
    const combined = plain ? (s.open ? s.open + text : text) : appendTerminalText(s.open, text);
    const nl = combined.lastIndexOf('\n');
    let committed = combined.slice(0, nl + 1);
    let open = combined.slice(nl + 1);
    if (open.length > OPEN_LINE_CAP) {
      const shown = visible(open);
      // without a cursor marker that is the whole text: no 1 MB copy of it joined back
      committed = shown.length === open.length ? combined : committed + shown;
      open = '';
    }
    if (s.blob) {
      this.spill(name, s, committed, open);
      return;
    }
    const growth = byteLength(combined) - byteLength(s.open);
    if (this.used + growth <= this.headLimit) {
      this.used += growth;
      this.sink.emit(stream(name, plain ? text : '\r' + combined));
      this.keepHead(s, committed, open);
      return;
    }
    // Crossing the limit: emit the whole lines that still fit, spill from there on. A \n byte
    // is never inside a multi-byte character, so cutting after one is always safe.
    const room = this.headLimit - this.used;
    const openBytes = byteLength(s.open);
    // a character is at least one byte: the cut lies within this many characters
    const buf = Buffer.from(committed.slice(0, Math.max(0, room + openBytes)), 'utf8');
    const cut = room + openBytes > 0 ? buf.lastIndexOf(0x0a, room + openBytes - 1) : -1;
    const head = cut >= 0 ? buf.subarray(0, cut + 1).toString('utf8') : '';
    if (head) {
      this.used += cut + 1 - openBytes;
      this.sink.emit(stream(name, plain ? head.slice(s.open.length) : '\r' + head));
      this.keepHead(s, head, '');
    }
    this.startSpill(name, s);
    this.spill(name, s, committed.slice(head.length), open);
  }

  private keepHead(s: StreamState, committed: string, open: string): void {
    if (committed) {
      s.head.push(committed);
      s.headBytes += byteLength(committed);
      s.headLines += countLines(committed);
    }
    s.open = open;
  }

  private startSpill(name: StreamName, s: StreamState): void {
    this.spilled = true;
    s.blob = this.sink.createBlob(name);
    for (const chunk of s.head) s.blob.write(chunk);
    s.head = [];
    s.lastRefUpdate = Date.now();
    const ref = this.ref(name, s, null);
    this.sink.emit({
      type: 'display_data',
      data: {
        output_type: 'display_data',
        data: { [BLOB_REF_MIME]: ref, 'text/plain': summary(ref) },
        metadata: {},
        transient: { display_id: ref.id },
      },
    });
  }

  private spill(name: StreamName, s: StreamState, committed: string, open: string): void {
    const blob = s.blob!;
    s.open = open;
    if (!committed) return;
    // a UTF-16 unit is at most 3 UTF-8 bytes: only near the limit is the exact length needed
    // beforehand (elsewhere the blob counts it while encoding: one pass over the chunk, not two)
    const surelyFits = blob.bytes + 3 * committed.length <= this.limits.spillMaxBytes;
    const exact = surelyFits ? 0 : byteLength(committed);
    if (!surelyFits && blob.bytes + exact > this.limits.spillMaxBytes) {
      s.dropped += exact;
    } else {
      const bytes = blob.write(committed);
      if (committed.length > 2 * this.tailLimit) {
        // only the end of a big chunk can be in the tail: keep a copy of that much (a slice
        // would keep the whole chunk alive); a UTF-16 unit is at least one byte, so
        // `tailLimit` units (one more: `suffix` may skip half a pair) hold the last `tailLimit` bytes
        const end = Buffer.from(suffix(committed, this.tailLimit + 1), 'utf8').toString('utf8');
        s.tail = [end];
        s.tailBytes = byteLength(end);
      } else {
        s.tail.push(committed);
        s.tailBytes += bytes;
      }
      while (s.tail.length > 1 && s.tailBytes - byteLength(s.tail[0]!) >= this.tailLimit) {
        s.tailBytes -= byteLength(s.tail.shift()!);
      }
    }
    const now = Date.now();
    if (now - s.lastRefUpdate >= REF_UPDATE_MS) {
      s.lastRefUpdate = now;
      this.updateRef(name, s, null);
    }
  }

  private ref(name: StreamName, s: StreamState, sha256: string | null, tail?: string): BlobRef {
    const blob = s.blob!;
    const tailBytes = tail === undefined ? 0 : byteLength(tail);
    const tailLines = tail === undefined ? 0 : countLines(tail) + (tail.endsWith('\n') ? 0 : 1);
    return {
      id: blob.id,
      stream: name,
      state: sha256 ? 'complete' : 'spilling',
      bytes: blob.bytes,
      lines: blob.lines,
      sha256,
      head: { lines: s.headLines, bytes: s.headBytes },
      tail: tail ? { fromLine: blob.lines - tailLines + 1, offset: blob.bytes - tailBytes } : null,
      droppedBytes: s.dropped,
      path: blobPath(blob.id),
    };
  }

  private updateRef(name: StreamName, s: StreamState, ref: BlobRef | null): void {
    const r = ref ?? this.ref(name, s, null);
    this.sink.emit({
      type: 'update_display_data',
      data: {
        display_id: r.id,
        data: { [BLOB_REF_MIME]: r, 'text/plain': summary(r) },
        metadata: {},
      },
    });
  }

  /** Whether a rich output of `bytes` would be shown inline (nothing is accounted). */
  fits(bytes: number): boolean {
    return !this.spilled && this.used + bytes <= this.headLimit;
  }

  /** Account for a rich output of `bytes`; false = dropped (counted for the notice). */
  rich(event: OutputEvent, bytes: number): boolean {
    if (!this.spilled && this.used + bytes <= this.headLimit) {
      this.used += bytes;
      this.sink.emit(event);
      return true;
    }
    this.droppedRich++;
    this.droppedRichBytes += bytes;
    return false;
  }

  /** `clear_output`: spilled blobs are finished, then the budget starts afresh. */
  clear(wait: boolean): void {
    this.finishStreams(false);
    this.sink.emit({ type: 'clear_output', data: { wait } });
    this.streams.clear();
    this.used = 0;
    this.spilled = false;
  }

  /** The cell ended: finish blobs, send tails and the notice of dropped outputs. */
  finish(): void {
    this.finishStreams(true);
    if (this.droppedRich > 0) {
      const what = this.droppedRich === 1 ? 'output' : 'outputs';
      this.sink.emit(
        stream(
          'stderr',
          `\n[${this.droppedRich} ${what} (${this.droppedRichBytes} bytes) dropped: over the ` +
            `cell's output limit of ${this.limits.inlineBytes} bytes]\n`,
        ),
      );
    }
  }

  private finishStreams(withTails: boolean): void {
    const tails: [StreamName, string][] = [];
    for (const [name, s] of this.streams) {
      const blob = s.blob;
      if (!blob) continue;
      const last = visible(s.open);
      if (last) this.spill(name, s, last, '');
      const meta = blob.finish();
      const tail = tailFrom(s.tail.join(''), this.tailLimit);
      this.updateRef(name, s, this.ref(name, s, meta.sha256, tail));
      if (withTails && tail) tails.push([name, tail]);
      s.blob = null;
    }
    for (const [name, tail] of tails) this.sink.emit(stream(name, tail));
  }
}

function stream(name: StreamName, text: string): OutputEvent {
  return { type: 'stream', data: { output_type: 'stream', name, text } };
}

/** The last `chars` UTF-16 units of `text`, never starting inside a surrogate pair. */
function suffix(text: string, chars: number): string {
  let start = Math.max(0, text.length - chars);
  const c = text.charCodeAt(start);
  if (c >= 0xdc00 && c <= 0xdfff) start++;
  return text.slice(start);
}

/** The last `limit` bytes of `text`, from a line start when one is in reach. */
function tailFrom(text: string, limit: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= limit) return text;
  let start = buf.length - limit;
  while (start < buf.length && (buf[start]! & 0xc0) === 0x80) start++; // not mid-character
  const nl = buf.indexOf(0x0a, start);
  if (nl >= 0 && nl < buf.length - 1) start = nl + 1;
  return buf.subarray(start).toString('utf8');
}

/** The `text/plain` of a blob reference, for front ends that do not know the MIME type. */
function summary(ref: BlobRef): string {
  const mb = (ref.bytes / 1e6).toFixed(1);
  if (ref.state === 'spilling') {
    return `[output continues in blob ${ref.id}: ${ref.lines} lines (${mb} MB) so far]`;
  }
  const shown = ref.head.lines + (ref.tail ? ref.lines - ref.tail.fromLine + 1 : 0);
  return (
    `[output spilled to blob ${ref.id}: ${ref.lines} lines (${mb} MB), ` +
    `${shown} shown inline, sha256 ${ref.sha256}]`
  );
}
