/**
 * Jupyter's `complete_reply` (messaging spec 5.x, "Completion") as the editor needs it. The
 * reply counts `cursor_start`/`cursor_end` in unicode code points of the code that was sent;
 * `metadata._jupyter_types_experimental` (IPython ≥ 6 with jedi) adds a type and signature
 * per match. https://jupyter-client.readthedocs.io/en/stable/messaging.html#completion
 */
export interface KernelCompletions {
  /** Candidates, in the kernel's order. */
  matches: string[];
  /** Code-point range of the code that a match replaces. */
  cursorStart: number;
  cursorEnd: number;
  /** Per-match type (`function`, `module`, …) and signature, when the kernel says them. */
  types: Record<string, { type?: string; signature?: string }>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Read a complete_reply's content; `cursor` (what was asked) stands in for missing bounds. A
 * reply with `status` other than `ok` has no matches.
 */
export function parseCompleteReply(
  content: Record<string, unknown>,
  cursor: number,
): KernelCompletions {
  const ok = content.status === undefined || content.status === 'ok';
  const matches = ok && Array.isArray(content.matches) ? content.matches.map(String) : [];
  const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);
  const cursorEnd = int(content.cursor_end) ?? cursor;
  const cursorStart = Math.min(int(content.cursor_start) ?? cursor, cursorEnd);
  const types: KernelCompletions['types'] = {};
  const meta = content.metadata as Record<string, unknown> | undefined;
  const experimental = meta?._jupyter_types_experimental;
  if (Array.isArray(experimental)) {
    for (const item of experimental as Record<string, unknown>[]) {
      const text = str(item?.text);
      if (!text || Object.hasOwn(types, text)) continue;
      const type = str(item.type);
      const signature = str(item.signature);
      types[text] = { ...(type ? { type } : {}), ...(signature ? { signature } : {}) };
    }
  }
  return { matches: [...new Set(matches)], cursorStart, cursorEnd, types };
}
