import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMasterKey, masterKeyFromBytes } from './masterKey.js';

function dirs() {
  const root = mkdtempSync(join(tmpdir(), 'spin-mk-'));
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  return { dataDir, file: join(root, 'config', 'spin', 'master.key') };
}

describe('master key', () => {
  it('generates a 0600 key file outside the data directory once and reuses it', () => {
    const { dataDir, file } = dirs();
    const a = loadMasterKey({ masterKey: undefined, file, dataDir });
    expect(a.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o077).toBe(0);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(existsSync(join(dataDir, 'master.key'))).toBe(false);
    const b = loadMasterKey({ masterKey: undefined, file, dataDir });
    expect(b.key.id).toBe(a.key.id);
    expect(b.key.decrypt(a.key.encrypt('secret'))).toBe('secret');
  });

  it('moves a key an older version left in the data directory, keeping it', () => {
    const { dataDir, file } = dirs();
    const legacy = loadMasterKey({
      masterKey: undefined,
      file: join(dataDir, 'master.key'),
      dataDir,
    });
    const sealed = legacy.key.encrypt('server signing key');
    const moved = loadMasterKey({ masterKey: undefined, file, dataDir });
    expect(moved.movedFrom).toBe(join(dataDir, 'master.key'));
    expect(existsSync(join(dataDir, 'master.key'))).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(moved.key.decrypt(sealed)).toBe('server signing key');
    expect(loadMasterKey({ masterKey: undefined, file, dataDir }).movedFrom).toBeNull();
  });

  it('refuses two different keys, in the data directory and outside it', () => {
    const { dataDir, file } = dirs();
    loadMasterKey({ masterKey: undefined, file, dataDir });
    writeFileSync(join(dataDir, 'master.key'), Buffer.alloc(32, 9).toString('base64'));
    expect(() => loadMasterKey({ masterKey: undefined, file, dataDir })).toThrow(
      /two different master keys.*SPIN_MASTER_KEY_FILE/,
    );
    expect(existsSync(join(dataDir, 'master.key'))).toBe(true);
  });

  it('uses SPIN_MASTER_KEY without touching files, reporting a stray key file', () => {
    const { dataDir, file } = dirs();
    const env = Buffer.alloc(32, 3).toString('base64');
    const loaded = loadMasterKey({ masterKey: env, file, dataDir });
    expect(loaded).toMatchObject({ file: null, strayFile: null });
    expect(existsSync(file)).toBe(false);
  });

  it('seals as v1:<keyId>:<iv>:<ct> and fails loudly on a wrong key or tampering', () => {
    const k1 = masterKeyFromBytes(Buffer.alloc(32, 1));
    const k2 = masterKeyFromBytes(Buffer.alloc(32, 2));
    const sealed = k1.encrypt('private jwk');
    expect(sealed).toMatch(new RegExp(`^v1:${k1.id}:[\\w-]+:[\\w-]+$`));
    expect(sealed).not.toContain('private');
    expect(() => k2.decrypt(sealed)).toThrow(/encrypted with master key/);
    const parts = sealed.split(':');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    parts[3] = ct.toString('base64url');
    expect(() => k1.decrypt(parts.join(':'))).toThrow(/failed authentication/);
  });

  it('rejects a SPIN_MASTER_KEY that is not 32 bytes', () => {
    expect(() =>
      loadMasterKey({ masterKey: 'c2hvcnQ=', file: join(tmpdir(), 'x.key'), dataDir: tmpdir() }),
    ).toThrow(/32 bytes/);
  });
});
