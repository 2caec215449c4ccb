import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpinError } from '@spin/protocol';
import { VaultClient, vaultSettingsFromEnv } from './vaultClient.js';
import { VaultEmulator } from './vaultEmulator.js';

describe('vaultSettingsFromEnv', () => {
  it('is off without SPIN_VAULT_ADDR', () => {
    expect(vaultSettingsFromEnv({ SPIN_VAULT_TOKEN: 't' })).toBeNull();
  });

  it('names the variable that is wrong', () => {
    expect(() => vaultSettingsFromEnv({ SPIN_VAULT_ADDR: 'vault:8200x' })).toThrow(
      /SPIN_VAULT_ADDR must be an http/,
    );
    expect(() => vaultSettingsFromEnv({ SPIN_VAULT_ADDR: 'not a url' })).toThrow(
      /SPIN_VAULT_ADDR is not a URL/,
    );
    expect(() => vaultSettingsFromEnv({ SPIN_VAULT_ADDR: 'http://v:8200' })).toThrow(
      /neither SPIN_VAULT_TOKEN nor SPIN_VAULT_ROLE_ID/,
    );
    expect(() =>
      vaultSettingsFromEnv({ SPIN_VAULT_ADDR: 'http://v:8200', SPIN_VAULT_ROLE_ID: 'r' }),
    ).toThrow(/SPIN_VAULT_ROLE_ID is set without SPIN_VAULT_SECRET_ID/);
    expect(
      vaultSettingsFromEnv({ SPIN_VAULT_ADDR: 'https://v:8200/', SPIN_VAULT_TOKEN: 't' }),
    ).toMatchObject({ addr: 'https://v:8200', token: 't' });
  });
});

describe('VaultClient against the Vault emulator', () => {
  let vault: VaultEmulator;
  beforeAll(async () => {
    vault = await new VaultEmulator().start();
    vault.put('kv', 'app/db', { password: 'pw-one-1111' });
    vault.put('kv', 'app/db', { password: 'pw-two-2222', user: 'app' });
    vault.addToken('tok-app-0000', ['kv/app']);
  });
  afterAll(() => vault.stop());

  const client = (token: string) => new VaultClient({ addr: vault.url, token });
  const code = async (p: Promise<unknown>) => {
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpinError);
    return `${(err as SpinError).code}: ${(err as SpinError).message}`;
  };

  it('reads the latest or a given version of a KV v2 key', async () => {
    const c = client('tok-app-0000');
    expect(await c.read({ mount: 'kv', path: 'app/db', key: 'password' })).toBe('pw-two-2222');
    expect(await c.read({ mount: 'kv', path: 'app/db', key: 'password', version: 1 })).toBe(
      'pw-one-1111',
    );
    expect(vault.requests.map((r) => r.url)).toContain('/v1/kv/data/app/db?version=1');
  });

  it("says why a read failed, in Vault's words", async () => {
    const c = client('tok-app-0000');
    expect(await code(c.read({ mount: 'kv', path: 'app/db', key: 'nope' }))).toBe(
      'secret.unavailable: Vault kv/app/db: no string key "nope"',
    );
    expect(await code(c.read({ mount: 'kv', path: 'app/db', key: 'password', version: 9 }))).toBe(
      'secret.unavailable: Vault kv/app/db: no such secret (or version)',
    );
    expect(
      await code(client('wrong-token').read({ mount: 'kv', path: 'app/db', key: 'password' })),
    ).toBe('secret.unavailable: Vault kv/app/db: 403: permission denied');
  });

  it('keeps an AppRole token for its lease, then logs in again', async () => {
    vault.addRole('role-app', 'sid-app-0000', ['kv/app'], 60);
    let now = Date.now();
    const c = new VaultClient(
      { addr: vault.url, roleId: 'role-app', secretId: 'sid-app-0000' },
      () => now,
    );
    const ref = { mount: 'kv', path: 'app/db', key: 'user' };
    const logins = () => vault.requests.filter((r) => r.url === '/v1/auth/approle/login').length;
    const before = logins();
    expect(await c.read(ref)).toBe('app');
    expect(await c.read(ref)).toBe('app');
    expect(logins()).toBe(before + 1);
    now += 61_000; // past the token's lease_duration
    expect(await c.read(ref)).toBe('app');
    expect(logins()).toBe(before + 2);
  });
});
