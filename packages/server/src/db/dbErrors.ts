import { SpinError } from '@spin/protocol';
import { DrizzleQueryError } from 'drizzle-orm/errors';

/**
 * Database errors at the edges: what a client is told, and what is logged. A drizzle query
 * error carries the SQL *and its parameters* (whole cell sources, titles) in its message, stack
 * and `params`; PostgreSQL's `detail` quotes row values. None of that may reach the logs.
 */

interface PgErrorFields {
  code?: unknown;
  message?: unknown;
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
  routine?: unknown;
}

/** The PostgreSQL error (with a SQLSTATE `code`) inside `err`, if any. */
function pgErrorOf(err: unknown): (Error & PgErrorFields) | null {
  let e: unknown = err;
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = (e as PgErrorFields).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return e as Error & PgErrorFields;
    e = e.cause;
  }
  return null;
}

/** Whether `err` is a unique violation (23505) of `constraint`. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  const pg = pgErrorOf(err);
  return pg?.code === '23505' && pg.constraint === constraint;
}

/**
 * Whether `err` is a `spin_require(false, …)` check (SQLSTATE SPN01, migration 0012): the
 * statement that carried it changed nothing.
 */
export function isRequireFailure(err: unknown): boolean {
  return pgErrorOf(err)?.code === 'SPN01';
}

/**
 * A database error that is the caller's doing, as the SpinError to answer with; null for
 * anything else (a bug or an outage: 500). Schemas refuse what cannot be stored before a query
 * runs; this is the backstop that keeps a value PostgreSQL cannot hold a 4xx.
 */
export function dbErrorToSpin(err: unknown): SpinError | null {
  const pg = pgErrorOf(err);
  if (!pg || typeof pg.code !== 'string') return null;
  if (pg.code === '23505') {
    return new SpinError('request.conflict', 'that already exists');
  }
  // Class 22 — data exception: bad encoding (NUL, unpaired surrogates), out of range, too long.
  if (pg.code.startsWith('22')) {
    return new SpinError('request.invalid', `a value cannot be stored (SQLSTATE ${pg.code})`);
  }
  if (pg.code === '54001') {
    return new SpinError('request.too_deep', 'the request is too complex to store');
  }
  return null;
}

/** A log-safe view of a database error: the SQL text and the server's error, never values. */
function safeDbError(err: Error): Record<string, unknown> | null {
  const pg = pgErrorOf(err);
  if (!(err instanceof DrizzleQueryError) && !pg) return null;
  const out: Record<string, unknown> = { type: err.constructor.name };
  if (err instanceof DrizzleQueryError) {
    out.message = `Failed query: ${err.query}`;
    out.query = err.query;
    out.paramCount = err.params.length;
  } else {
    out.message = err.message;
  }
  if (pg) {
    out.code = pg.code;
    out.cause = {
      type: pg.constructor.name,
      message: pg.message,
      code: pg.code,
      ...(typeof pg.table === 'string' ? { table: pg.table } : {}),
      ...(typeof pg.column === 'string' ? { column: pg.column } : {}),
      ...(typeof pg.constraint === 'string' ? { constraint: pg.constraint } : {}),
      ...(typeof pg.routine === 'string' ? { routine: pg.routine } : {}),
    };
  }
  // The stack starts with the message (parameters included, over several lines): keep only
  // the frames.
  out.stack = (err.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .join('\n');
  return out;
}

/**
 * pino `err` serializer: database errors are reduced to {@link safeDbError}; anything else
 * goes through `fallback` (pino's standard serializer).
 */
export function errSerializer(fallback: (err: Error) => unknown): (err: unknown) => unknown {
  return (err) => {
    if (!(err instanceof Error)) return err;
    return safeDbError(err) ?? fallback(err);
  };
}

/** The constraint a unique violation (SQLSTATE 23505) inside `err` names; null otherwise. */
export function uniqueViolationOf(err: unknown): string | null {
  const pg = pgErrorOf(err);
  if (!pg || pg.code !== '23505') return null;
  return typeof pg.constraint === 'string' ? pg.constraint : '';
}
