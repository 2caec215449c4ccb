import {
  closeSync,
  createReadStream,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { JournalEvent } from '@spin/protocol';

/** A journal event before the journal numbers it. */
export type NewJournalEvent = JournalEvent extends infer E
  ? E extends JournalEvent
    ? Omit<E, 'seq' | 'sid' | 'ts'>
    : never
  : never;

/** Sizes of one journal (runtime config gives them; tests shrink them). */
export interface JournalLimits {
  /** A segment file is closed and a new one started once it reaches this size. */
  segmentBytes: number;
  /** Recent events kept in memory, at most this many bytes of JSON… */
  windowBytes: number;
  /** …and at most this many events. */
  windowEvents: number;
}

export const DEFAULT_JOURNAL_LIMITS: JournalLimits = {
  segmentBytes: 16 * 1024 * 1024,
  windowBytes: 4 * 1024 * 1024,
  windowEvents: 10_000,
};

const SEGMENT = /^(\d{12,})\.jsonl$/;
/** Segment files are named by the seq of their first event, zero-padded so names sort. */
export const segmentName = (firstSeq: number) => `${String(firstSeq).padStart(12, '0')}.jsonl`;

/** The segments of a journal directory, oldest first. */
export function listSegments(dir: string): { firstSeq: number; file: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .flatMap((n) => {
      const m = SEGMENT.exec(n);
      return m ? [{ firstSeq: Number(m[1]), file: join(dir, n) }] : [];
    })
    .sort((a, b) => a.firstSeq - b.firstSeq);
}

/** Complete lines of a file, newest first, read backwards in 1 MiB steps (never whole). */
function* linesBackward(fd: number, size: number): Generator<{ line: Buffer; end: number }> {
  const step = 1024 * 1024;
  let buf = Buffer.alloc(0);
  let bufStart = size;
  const more = (): boolean => {
    if (bufStart === 0) return false;
    const start = Math.max(0, bufStart - step);
    const chunk = Buffer.alloc(bufStart - start);
    readSync(fd, chunk, 0, chunk.length, start);
    buf = Buffer.concat([chunk, buf]);
    bufStart = start;
    return true;
  };
  // the bytes after the last \n are a torn write (a crash mid-line): not a line
  let end = -1;
  while (end < 0) {
    const nl = buf.lastIndexOf(0x0a);
    if (nl >= 0) end = bufStart + nl + 1;
    else if (!more()) return;
  }
  yield { line: Buffer.alloc(0), end }; // marks where the valid prefix ends
  while (end > 0) {
    let nl = end >= 2 ? buf.lastIndexOf(0x0a, end - 2 - bufStart) : -1;
    while (nl < 0 && more()) nl = end >= 2 ? buf.lastIndexOf(0x0a, end - 2 - bufStart) : -1;
    const lineStart = nl >= 0 ? bufStart + nl + 1 : 0;
    yield { line: buf.subarray(lineStart - bufStart, end - 1 - bufStart), end };
    end = lineStart;
    buf = buf.subarray(0, end - bufStart);
  }
}

/**
 * The state of a segment from its end: the length of its valid prefix (a torn last line is
 * cut), its newest seq, and the newest events that fit the window.
 */
function scanTail(
  file: string,
  firstSeq: number,
  limits: JournalLimits,
): { validBytes: number; lastSeq: number; window: { ev: JournalEvent; bytes: number }[] } {
  const fd = openSync(file, 'r');
  try {
    let validBytes = 0;
    let lastSeq = firstSeq - 1;
    const window: { ev: JournalEvent; bytes: number }[] = [];
    let windowBytes = 0;
    let first = true;
    for (const { line, end } of linesBackward(fd, fstatSync(fd).size)) {
      if (first) {
        validBytes = end;
        first = false;
        continue;
      }
      let ev: JournalEvent | null = null;
      try {
        ev = JSON.parse(line.toString('utf8')) as JournalEvent;
      } catch {
        ev = null; // a corrupt line: what precedes it is still served from disk
      }
      if (!ev || typeof ev.seq !== 'number') {
        if (window.length > 0) break;
        continue;
      }
      if (window.length === 0) lastSeq = ev.seq;
      const bytes = line.length + 1;
      const contiguous = ev.seq === lastSeq - window.length;
      const fits =
        window.length === 0 ||
        (window.length < limits.windowEvents && windowBytes + bytes <= limits.windowBytes);
      if (!contiguous || !fits) break;
      window.unshift({ ev, bytes });
      windowBytes += bytes;
    }
    return { validBytes, lastSeq, window };
  } finally {
    closeSync(fd);
  }
}

/** Seq of the newest complete event of a segment (firstSeq - 1 when it has none). */
export function lastSeqOf(file: string, firstSeq: number): number {
  return scanTail(file, firstSeq, { segmentBytes: 0, windowBytes: 0, windowEvents: 1 }).lastSeq;
}

/**
 * A session's output journal (DESIGN.md §3): append-only JSONL segment files in its own
 * directory, numbered by `seq` from 1 without gaps. Each event is written (synchronously,
 * before anyone sees it) and only then handed back for broadcast, so a client that resumes
 * with `lastSeq` loses nothing across disconnects and runtime restarts. A write reaches the
 * page cache before the event is sent: it survives the runtime being killed, not the machine
 * losing power (no fsync per event — that would cost the hot path milliseconds).
 *
 * Memory is bounded: the journal holds a window of recent events; older ones are read back
 * from disk, streaming, by {@link Journal.readFrom}.
 */
export class Journal {
  private readonly window: { ev: JournalEvent; bytes: number }[] = [];
  private windowBytes = 0;
  private fd: number | null;
  private activeBytes: number;
  private activeFirst: number;
  private head: number;

  constructor(
    readonly dir: string,
    readonly sid: string,
    private readonly limits: JournalLimits = DEFAULT_JOURNAL_LIMITS,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const legacy = join(dir, '..', 'journal.jsonl');
    if (existsSync(legacy) && listSegments(dir).length === 0) {
      renameSync(legacy, join(dir, segmentName(1))); // the single-file journal of earlier versions
    }
    const segments = listSegments(dir);
    const last = segments[segments.length - 1];
    if (last) {
      const scan = scanTail(last.file, last.firstSeq, limits);
      truncateSync(last.file, scan.validBytes);
      this.head = scan.lastSeq;
      for (const w of scan.window) {
        this.window.push(w);
        this.windowBytes += w.bytes;
      }
      this.activeBytes = scan.validBytes;
      this.activeFirst = last.firstSeq;
      this.fd = openSync(last.file, 'a', 0o600);
    } else {
      this.head = 0;
      this.activeBytes = 0;
      this.activeFirst = 1;
      this.fd = openSync(join(dir, segmentName(1)), 'a', 0o600);
    }
  }

  /** Seq of the newest event (0 when empty). */
  get headSeq(): number {
    return this.head;
  }

  /** Number, timestamp, persist; returns the event to broadcast. */
  append(partial: NewJournalEvent): JournalEvent {
    return this.appendSerialized(partial).event;
  }

  /** {@link append}, also returning the event's JSON (so broadcasting need not serialise it again). */
  appendSerialized(partial: NewJournalEvent): { event: JournalEvent; json: string } {
    if (this.fd === null) throw new Error('journal is closed');
    if (this.activeBytes >= this.limits.segmentBytes) this.rotate();
    const ev = {
      sid: this.sid,
      seq: this.head + 1,
      ts: new Date().toISOString(),
      ...partial,
    } as JournalEvent;
    const json = JSON.stringify(ev);
    // its UTF-8 length from the write itself: a big stream event is not scanned once more
    const bytes = writeSync(this.fd, json + '\n');
    this.head = ev.seq;
    this.activeBytes += bytes;
    this.window.push({ ev, bytes });
    this.windowBytes += bytes;
    while (
      this.window.length > 1 &&
      (this.window.length > this.limits.windowEvents || this.windowBytes > this.limits.windowBytes)
    ) {
      this.windowBytes -= this.window.shift()!.bytes;
    }
    return { event: ev, json };
  }

  private rotate(): void {
    closeSync(this.fd!);
    this.activeFirst = this.head + 1;
    this.fd = openSync(join(this.dir, segmentName(this.activeFirst)), 'a', 0o600);
    this.activeBytes = 0;
  }

  /** Name of the segment being written (retention never deletes it). */
  get activeSegment(): string {
    return join(this.dir, segmentName(this.activeFirstSeq()));
  }

  private activeFirstSeq(): number {
    return this.activeFirst;
  }

  /** Seq of the oldest event in memory (headSeq + 1 when none). */
  get windowStartSeq(): number {
    return this.window[0]?.ev.seq ?? this.head + 1;
  }

  /**
   * Events with seq ≥ `from` from memory, or null when the window does not reach back that
   * far (read them with {@link readFrom}). Empty when `from` is past the head.
   */
  windowFrom(from: number): JournalEvent[] | null {
    if (from > this.head) return [];
    const first = this.windowStartSeq;
    if (from < first) return null;
    return this.window.slice(from - first).map((w) => w.ev);
  }

  /**
   * Stream events with seq ≥ `from` from disk, oldest first, one segment at a time and one
   * line at a time (a long journal is never loaded whole). It reads the active segment only up
   * to what was completely written when it got there, so it never meets a half-written line;
   * events written meanwhile are in the window or the next call. Segments retention removed
   * are skipped, so the first event may be later than `from`; corrupt lines are skipped too.
   */
  async *readFrom(from: number): AsyncGenerator<JournalEvent> {
    const segments = listSegments(this.dir);
    let i = segments.findLastIndex((s) => s.firstSeq <= from);
    if (i < 0) i = 0;
    const active = this.activeFirstSeq();
    for (; i < segments.length; i++) {
      const seg = segments[i]!;
      const limit = seg.firstSeq === active ? this.activeBytes : Infinity;
      if (limit === 0) continue;
      const stream = createReadStream(seg.file, {
        encoding: 'utf8',
        highWaterMark: 256 * 1024,
        ...(limit !== Infinity ? { end: limit - 1 } : {}),
      });
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      try {
        for await (const line of lines) {
          if (!line) continue;
          let ev: JournalEvent;
          try {
            ev = JSON.parse(line) as JournalEvent;
          } catch {
            continue;
          }
          if (ev.seq >= from) yield ev;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // removed by retention
      } finally {
        lines.close();
        stream.destroy();
      }
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
