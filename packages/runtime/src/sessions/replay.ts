import type { Journal } from './journal.js';
import type { SessionSubscriber } from './session.js';

/** A replay from disk pauses while the subscriber has more than this waiting to be sent. */
const REPLAY_HIGH_WATER = 8 * 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Deliver the journal's events after `lastSeq` to `sub`, then call `subscribe` — in the same
 * synchronous step as the last delivery from memory, so the subscriber misses nothing between
 * replay and live events. Events older than the in-memory window are streamed from disk first,
 * pass after pass (live events keep arriving meanwhile), at the pace the subscriber drains.
 * Returns the first seq delivered or due (events retention removed are skipped).
 */
export async function replayJournal(
  journal: Journal,
  sub: SessionSubscriber,
  lastSeq: number,
  opts: { cancelled: () => boolean; subscribe: () => void },
): Promise<number> {
  let next = Math.max(lastSeq + 1, 1);
  let fromSeq: number | null = null;
  for (;;) {
    if (opts.cancelled()) return fromSeq ?? next;
    const recent = journal.windowFrom(next);
    if (recent) {
      for (const ev of recent) sub.deliver(ev);
      opts.subscribe();
      return fromSeq ?? recent[0]?.seq ?? next;
    }
    let progressed = false;
    for await (const ev of journal.readFrom(next)) {
      if (opts.cancelled()) return fromSeq ?? next;
      if (ev.seq < next) continue;
      fromSeq ??= ev.seq;
      sub.deliver(ev);
      next = ev.seq + 1;
      progressed = true;
      while ((sub.backlog?.() ?? 0) > REPLAY_HIGH_WATER && !opts.cancelled()) await sleep(5);
      if (journal.windowFrom(next)) break; // caught up with memory
    }
    // nothing on disk from `next` to the window: skip the gap (corrupt or removed lines)
    if (!progressed) next = journal.windowStartSeq;
  }
}
