import { jsonValueDepth } from '@spin/protocol';

/**
 * Deepest nesting of an output (protocol's bound, shared with the server that verifies
 * receipts): past it, JSON.stringify and canonical JSON would overflow the stack (issue 5,
 * finding 3).
 */
export { MAX_OUTPUT_DEPTH } from '@spin/protocol';

/** True when `value` nests arrays/objects more than `limit` levels deep (iterative). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  return jsonValueDepth(value, limit) > limit;
}
