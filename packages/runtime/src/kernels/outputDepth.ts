/**
 * Deepest nesting of arrays/objects a kernel output may carry. Real outputs (Vega-Lite and
 * Plotly specs, widget state) stay far below; past it, JSON.stringify and the server's
 * canonical JSON would overflow the stack (issue 5, finding 3).
 */
export const MAX_OUTPUT_DEPTH = 64;

/**
 * True when `value` nests arrays/objects more than `limit` levels deep (`{}` and `[]` are one
 * level). Iterative, so a 10,000-deep value cannot overflow the stack while being measured.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ v: object; depth: number }> = [];
  if (value !== null && typeof value === 'object') stack.push({ v: value, depth: 1 });
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push({ v: child, depth: depth + 1 });
    }
  }
  return false;
}
