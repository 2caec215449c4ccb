import { DrizzleQueryError } from 'drizzle-orm/errors';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { dbErrorToSpin, errSerializer } from './dbErrors.js';

/** A PostgreSQL error as the drivers raise it (a SQLSTATE in `code`). */
function pgError(code: string, message: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { code, ...extra });
}

describe('database errors', () => {
  it('answers data errors PostgreSQL refuses as 4xx, anything else as a bug', () => {
    const wrap = (cause: Error) => new DrizzleQueryError('insert …', ['v'], cause);
    expect(dbErrorToSpin(wrap(pgError('22021', 'invalid byte sequence')))).toMatchObject({
      code: 'request.invalid',
    });
    expect(dbErrorToSpin(wrap(pgError('22P05', 'unsupported Unicode escape')))).toMatchObject({
      code: 'request.invalid',
    });
    expect(dbErrorToSpin(wrap(pgError('23505', 'duplicate key')))?.code).toBe('request.conflict');
    expect(dbErrorToSpin(wrap(pgError('54001', 'stack depth')))?.code).toBe('request.too_deep');
    expect(dbErrorToSpin(wrap(pgError('23514', 'check violation')))).toBeNull();
    expect(dbErrorToSpin(new Error('plain'))).toBeNull();
  });

  it('serialises a query error without its parameters or row details', () => {
    const cause = pgError('23505', 'duplicate key value violates unique constraint "users_email"', {
      detail: 'Key (email)=(secret@example.com) already exists.',
      constraint: 'users_email',
    });
    const err = new DrizzleQueryError(
      'insert into "users" values ($1)',
      ['secret@example.com'],
      cause,
    );
    const out = JSON.stringify(errSerializer(pino.stdSerializers.err)(err));
    expect(out).not.toContain('secret@example.com');
    expect(out).toContain('insert into \\"users\\" values ($1)');
    expect(out).toContain('users_email');
    // other errors keep pino's standard form
    const plain = errSerializer(pino.stdSerializers.err)(new TypeError('boom')) as { type: string };
    expect(plain).toMatchObject({ type: 'TypeError', message: 'boom' });
  });
});
