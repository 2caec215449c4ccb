import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMasterKey, masterKeyFromBytes } from './masterKey.js';

describe('master key', () => {
  it('generates a 0600 key file once and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spin-mk-'));
    const a = loadMasterKey({ masterKey: undefined, dataDir: dir });
    const file = join(dir, 'master.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    const b = loadMasterKey({ masterKey: undefined, dataDir: dir });
    expect(b.id).toBe(a.id);
    expect(b.decrypt(a.encrypt('secret'))).toBe('secret');
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
    expect(() => loadMasterKey({ masterKey: 'c2hvcnQ=', dataDir: tmpdir() })).toThrow(/32 bytes/);
  });
});
