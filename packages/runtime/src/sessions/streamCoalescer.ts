import type { OutputEvent } from './outputBudget.js';

/** A pending chunk is sent at once past this size, without waiting for the loop to turn. */
const MAX_PENDING_CHARS = 1024 * 1024;

/**
 * Merges consecutive chunks of one stream that arrive in the same event-loop turn into one
 * journal event. A kernel that prints and flushes line by line sends a burst of tiny iopub
 * messages, which ZeroMQ hands over together; as one event they cost one journal line, one
 * WebSocket frame and one parse per client instead of a hundred (FACTS.md: batch small frames).
 * Everything else passes straight through, after whatever is pending, so order is kept; a
 * lone chunk waits only until the current turn of the loop ends.
 */
export class StreamCoalescer {
  private pending: { name: 'stdout' | 'stderr'; text: string } | null = null;
  private scheduled = false;

  constructor(private readonly send: (event: OutputEvent) => void) {}

  emit(event: OutputEvent): void {
    if (event.type !== 'stream') {
      this.flush();
      this.send(event);
      return;
    }
    const { name, text } = event.data;
    if (this.pending && this.pending.name !== name) this.flush();
    if (this.pending) this.pending.text += text;
    else this.pending = { name, text };
    if (this.pending.text.length >= MAX_PENDING_CHARS) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Send what is pending now. */
  flush(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.send({ type: 'stream', data: { output_type: 'stream', name: p.name, text: p.text } });
  }
}
