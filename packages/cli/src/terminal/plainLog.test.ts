import { describe, expect, it } from 'vitest';
import { PlainLog, plainLine } from './plainLog.js';

const rec = (level: number, msg: string, extra: object = {}) =>
  JSON.stringify({ level, time: 1, pid: 1, hostname: 'h', msg, ...extra });

describe('plain log lines', () => {
  it('turns warn and error records into one sentence and drops the rest', () => {
    expect(plainLine(rec(30, 'request completed'))).toBeNull();
    expect(
      plainLine(rec(40, 'websocket origin refused', { code: 'auth.origin_not_allowed' })),
    ).toBe('warning: websocket origin refused (auth.origin_not_allowed)');
    expect(plainLine(rec(50, 'request failed', { err: { message: 'disk full' } }))).toBe(
      'error: request failed: disk full',
    );
    expect(plainLine('not json\n')).toBe('not json');
  });

  it('holds lines until release, once each, then writes them through', () => {
    const out: string[] = [];
    const log = new PlainLog({ write: (t) => out.push(t) });
    log.write(rec(40, 'no Python kernel found'));
    log.write(rec(40, 'no Python kernel found'));
    log.write(rec(30, 'runtime started'));
    expect(out).toEqual([]);
    expect(log.release()).toEqual(['warning: no Python kernel found']);
    log.write(rec(50, 'database connection error'));
    expect(out).toEqual(['error: database connection error\n']);
  });
});
