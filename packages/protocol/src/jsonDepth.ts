/**
 * Bounds on JSON nesting. Canonical JSON, `JSON.stringify` and most JSON walkers recurse, so a
 * 10,000-deep value overflows the stack wherever it is hashed or serialised. Runtimes keep each
 * output within {@link MAX_OUTPUT_DEPTH} before signing a receipt; the server refuses request
 * bodies deeper than {@link MAX_BODY_DEPTH} before doing any recursive work on them.
 */

/** Deepest nesting of one output object (the output itself is depth 1). */
export const MAX_OUTPUT_DEPTH = 64;

/**
 * Deepest nesting of a request body the server accepts: an output at {@link MAX_OUTPUT_DEPTH}
 * plus the receipt wrapper around it (`{ outputs: [ … ] }`) and headroom.
 */
export const MAX_BODY_DEPTH = MAX_OUTPUT_DEPTH + 8;

/**
 * Nesting depth of JSON text (`[]`/`{}` levels, `1` for `{}`), found by one linear scan that
 * skips strings — no parsing, no recursion. Stops early and returns `limit + 1` once the depth
 * passes `limit`. Malformed text gives some number; parsing reports the syntax error.
 */
export function jsonTextDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return max;
}

/**
 * Nesting depth of a JSON value (objects and arrays count one level each; scalars are 0),
 * iterative so any depth is safe to measure. Stops early and returns `limit + 1` once the
 * depth passes `limit`.
 */
export function jsonValueDepth(value: unknown, limit = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) {
      max = d;
      if (max > limit) return max;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}
