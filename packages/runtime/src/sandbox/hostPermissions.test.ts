import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { giveToUser, prepareUserModeHost } from './hostPermissions.js';

const root = mkdtempSync('/var/tmp/spin-perm-');
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mode = (p: string) => statSync(join(root, p)).mode & 0o7777;

describe('user mode file modes', () => {
  it('leaves session users a search-only path to their own dirs and nothing else', () => {
    // a `spin start` folder made by hand (umask 022), with a closed directory above it
    for (const d of ['closed/spin/runtime/keys', 'closed/spin/runtime/sessions/s1/work']) {
      mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
    }
    mkdirSync(join(root, 'closed/spin/server/db'), { recursive: true, mode: 0o755 });
    mkdirSync(join(root, 'elsewhere'), { mode: 0o755 });
    chmodSync(join(root, 'closed'), 0o700);
    const files = [
      'closed/spin/runtime/keys/signing.jwk.json',
      'closed/spin/runtime/spin-token',
      'closed/spin/runtime/sessions/s1/journal.jsonl',
      'closed/spin/server/master.key',
      'closed/spin/server/db/PG_VERSION',
    ];
    for (const f of files) writeFileSync(join(root, f), 'x', { mode: 0o644 });
    const home = join(root, 'closed/spin/runtime');
    const report = prepareUserModeHost(home, [
      join(root, 'closed/spin'),
      join(root, 'closed/spin/server'),
      join(root, 'elsewhere'),
    ]);

    expect(report.opened).toEqual([join(root, 'closed')]);
    expect(mode('closed')).toBe(0o701); // only search added; not SPIN's to change further
    expect(mode('closed/spin')).toBe(0o711); // hidden, but on the way to the home
    expect(mode('closed/spin/server')).toBe(0o700);
    expect(mode('closed/spin/runtime')).toBe(0o711);
    expect(mode('closed/spin/runtime/keys')).toBe(0o700);
    expect(mode('closed/spin/runtime/spin-token')).toBe(0o600);
    expect(mode('closed/spin/runtime/sessions')).toBe(0o711);
    expect(mode('closed/spin/runtime/sessions/s1')).toBe(0o711);
    expect(mode('closed/spin/runtime/sessions/s1/journal.jsonl')).toBe(0o600);
    expect(mode('elsewhere')).toBe(0o700);
    expect(process.umask()).toBe(0o077);
  });

  it('gives a work dir, and whatever is in it, to the session user', () => {
    const work = join(root, 'work');
    mkdirSync(join(work, 'sub'), { recursive: true });
    writeFileSync(join(work, 'sub/file'), 'x');
    giveToUser(work, { uid: 1_234_567_890, gid: 1_234_567_890 });
    for (const p of ['work', 'work/sub', 'work/sub/file']) {
      expect(statSync(join(root, p))).toMatchObject({ uid: 1_234_567_890, gid: 1_234_567_890 });
    }
    expect(mode('work')).toBe(0o700);
  });
});
