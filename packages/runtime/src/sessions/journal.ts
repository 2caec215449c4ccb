import { closeSync, existsSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import type { JournalEvent } from '@spin/protocol';

/** A journal event before the journal numbers it. */
export type NewJournalEvent = JournalEvent extends infer E
  ? E extends JournalEvent
    ? Omit<E, 'seq' | 'sid' | 'ts'>
    : never
  : never;

/**
 * A session's output journal (DESIGN.md §3): JSON lines in `journal.jsonl`, numbered by `seq`
 * from 1 without gaps. Each event is written (synchronously, before anyone sees it) and only
 * then handed back for broadcast, so a client that resumes with `lastSeq` loses nothing —
 * across disconnects and runtime restarts.
 */
export class Journal {
  private readonly events: JournalEvent[] = [];
  private fd: number | null;

  constructor(
    private readonly file: string,
    readonly sid: string,
  ) {
    if (existsSync(file)) {
      const text = readFileSync(file);
      // A crash mid-write leaves a torn last line, which was never broadcast. Cut it off, or
      // the next event would be appended to it and be lost on the next restart.
      const end = text.lastIndexOf(0x0a) + 1;
      if (end < text.length) truncateSync(file, end);
      for (const line of text.subarray(0, end).toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const ev = JSON.parse(line) as JournalEvent;
          if (ev.seq === this.events.length + 1) this.events.push(ev);
        } catch {
          // a corrupt line: keep what precedes it
        }
      }
    }
    this.fd = openSync(file, 'a', 0o600);
  }

  /** Seq of the newest event (0 when empty). */
  get headSeq(): number {
    return this.events.length;
  }

  /** Number, timestamp, persist; returns the event to broadcast. */
  append(partial: NewJournalEvent): JournalEvent {
    if (this.fd === null) throw new Error('journal is closed');
    const ev = {
      sid: this.sid,
      seq: this.events.length + 1,
      ts: new Date().toISOString(),
      ...partial,
    } as JournalEvent;
    writeSync(this.fd, JSON.stringify(ev) + '\n');
    this.events.push(ev);
    return ev;
  }

  /** Events with seq > lastSeq, in order. */
  since(lastSeq: number): JournalEvent[] {
    return this.events.slice(Math.max(0, lastSeq));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
