/**
 * Per-execution output budget (DESIGN.md §3 "Output has a budget"). Counts bytes of everything
 * forwarded; the output that crosses the limit is cut (streams) or dropped, and everything after
 * it is dropped. Blob spill of the remainder comes later.
 */
export class OutputBudget {
  private used = 0;
  private exhausted = false;

  constructor(readonly limit: number) {}

  get truncated(): boolean {
    return this.exhausted;
  }

  /**
   * Account for a stream chunk. Returns the text to forward ('' = drop) and whether this call
   * exhausted the budget (so the caller adds the truncation notice once).
   */
  takeText(text: string): { text: string; justExhausted: boolean } {
    if (this.exhausted) return { text: '', justExhausted: false };
    const bytes = Buffer.byteLength(text);
    if (this.used + bytes <= this.limit) {
      this.used += bytes;
      return { text, justExhausted: false };
    }
    const room = this.limit - this.used;
    this.used = this.limit;
    this.exhausted = true;
    const cut = Buffer.from(text)
      .subarray(0, room)
      .toString('utf8')
      .replace(/\uFFFD+$/, '');
    return { text: cut, justExhausted: true };
  }

  /** Account for a rich output of `bytes`; false = drop it (and maybe add the notice). */
  takeRich(bytes: number): { keep: boolean; justExhausted: boolean } {
    if (this.exhausted) return { keep: false, justExhausted: false };
    if (this.used + bytes <= this.limit) {
      this.used += bytes;
      return { keep: true, justExhausted: false };
    }
    this.exhausted = true;
    return { keep: false, justExhausted: true };
  }
}
