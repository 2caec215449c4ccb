import { z } from 'zod';

/**
 * Strings that end up in PostgreSQL `text` columns, URLs and headers. PostgreSQL text cannot hold
 * U+0000, and an unpaired UTF-16 surrogate has no UTF-8 encoding (drivers silently turn it into
 * U+FFFD), so neither could be stored faithfully: such input is refused with a clear 400 at the
 * schema instead of failing (500) or being changed in the database. Outputs of cells are not
 * limited this way — they are JSON and stored as JSON text (see the server's schema).
 */
// eslint-disable-next-line no-control-regex -- finding U+0000 is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Message of the refusal, shared by every schema that uses {@link isStorableString}. */
export const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** True when `s` has neither U+0000 nor an unpaired surrogate. Linear; no deep backtracking. */
export function isStorableString(s: string): boolean {
  return !UNSTORABLE.test(s);
}

/** A string that can be stored as text (see {@link isStorableString}). */
export const StorableStringSchema = z.string().refine(isStorableString, UNSTORABLE_MESSAGE);

/**
 * An id of something SPIN stores (user, workspace, notebook, session, runtime, program jti):
 * what SPIN generates is letters, digits and `_ - . :`, so anything else names nothing and is
 * refused before it reaches a query.
 */
export const ResourceIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'ids are letters, digits, "_", "-", "." and ":"');
