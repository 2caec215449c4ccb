import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, rotateMasterKey, type SpinServer } from '../src/index.js';
import { masterKeyFromBytes } from '../src/security/masterKey.js';
import {
  ADMIN,
  clientFrom,
  dbKinds,
  defaultWorkspaceId,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type TestServer,
} from './fixtures.js';
import { CANARY, createConnection, createSecret, openBundle } from './credentialFixtures.js';

/** Every ciphertext the database holds, by where it lives. */
async function ciphertexts(server: SpinServer): Promise<Record<string, string>> {
  const rows = (
    (await server.services.database.db.execute(sql`
      select 'secret:' || id as k, value_enc as v from secrets where value_enc is not null
      union all select 'connection:' || id, secrets_enc from connections where secrets_enc is not null
      union all select 'server_key:' || kid, private_jwk_enc from server_keys`)) as unknown as {
      rows: { k: string; v: string }[];
    }
  ).rows;
  return Object.fromEntries(rows.map((r) => [r.k, r.v]));
}

/** Issue 9 acceptance 3: rotating the master key re-encrypts everything. */
describe.each(dbKinds)('spin secrets rotate-master-key (%s)', (kind) => {
  let t: TestServer;
  let restarted: SpinServer | null = null;

  beforeAll(async () => {
    t = await startTestServer(kind);
  });
  afterAll(async () => {
    await restarted?.close();
    await t.close();
  });

  it('re-encrypts secrets, connections and the server key; old ciphertexts no longer decrypt; the audit chain still verifies', async () => {
    const admin = await signUpAdmin(t);
    const ws = await defaultWorkspaceId(admin);
    const rt = await registerRuntime(admin);
    await createSecret(admin, ws, {
      name: 'DB_PASSWORD',
      ref: { storeType: 'spin_store' },
      value: CANARY,
    });
    await createConnection(admin, ws, {
      name: 'orders-db',
      processor: 'postgres',
      secrets: { password: CANARY },
    });
    const jwksBefore = t.server.services.keys.jwks();
    const before = await ciphertexts(t.server);
    expect(Object.keys(before).length).toBe(3);
    const keyFile = t.server.masterKeyFile!;
    const oldBytes = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    const oldKey = masterKeyFromBytes(oldBytes);
    const config = t.server.config;
    await t.server.close(); // rotate with the server stopped

    const result = await rotateMasterKey(config);
    expect(result).toMatchObject({
      fromKeyId: oldKey.id,
      reencrypted: { serverKeys: 1, secrets: 1, connections: 1 },
      keyFile,
      newKeyBase64: null,
    });
    expect(result.auditEntries).toBeGreaterThan(0);
    const newBytes = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    expect(newBytes.equals(oldBytes)).toBe(false);
    const newKey = masterKeyFromBytes(newBytes);
    expect(result.toKeyId).toBe(newKey.id);

    restarted = await createServer({ config });
    const after = await ciphertexts(restarted);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const [where, sealed] of Object.entries(after)) {
      expect(sealed, where).not.toBe(before[where]);
      expect(sealed.startsWith(`v1:${newKey.id}:`), where).toBe(true);
      expect(newKey.decrypt(sealed)).toBe(oldKey.decrypt(before[where]!));
      // the old key opens nothing the database holds now…
      expect(() => oldKey.decrypt(sealed), where).toThrow();
      // …not even with its key id forged onto the new ciphertext
      expect(() => oldKey.decrypt(sealed.replace(newKey.id, oldKey.id)), where).toThrow(
        /failed authentication/,
      );
    }
    // same signing key (runtimes stay paired), values intact in the next bundle
    expect(restarted.services.keys.jwks()).toEqual(jwksBefore);
    const login = await restarted.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: ADMIN.email, password: ADMIN.password },
    });
    const again = clientFrom({ ...t, server: restarted }, login);
    const bundle = (await again.request('GET', `/api/v1/runtimes/${rt.id}/credentials`)).json();
    const claims = await openBundle({ ...t, server: restarted }, rt, bundle.bundle);
    expect(claims.secrets[0]?.value).toBe(CANARY);
    expect(claims.connections[0]?.secrets).toEqual({ password: CANARY });
    const verify = (await again.request('GET', '/api/v1/audit/verify')).json();
    expect(verify).toMatchObject({ ok: true, brokenAt: null });
    const audit = (
      await again.request('GET', '/api/v1/audit?action=security.master_key_rotated')
    ).json();
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0].data).toMatchObject({ fromKeyId: oldKey.id, toKeyId: newKey.id });
    expect(JSON.stringify(audit)).not.toContain(newBytes.toString('base64'));

    // a server given the old key refuses to start: nothing decrypts under it any more
    await restarted.close();
    restarted = null;
    const oldFile = join(t.configDir, 'old-master.key');
    writeFileSync(oldFile, oldBytes.toString('base64') + '\n', { mode: 0o600 });
    await expect(createServer({ config: { ...config, masterKeyFile: oldFile } })).rejects.toThrow(
      /cannot decrypt the server signing key/,
    );
  });

  it('refuses to rotate when the audit log does not verify, changing nothing', async () => {
    const config = t.server.config;
    const db = await createServer({ config });
    const beforeRows = await ciphertexts(db);
    const first = sql`(select min(seq) from audit_log)`;
    const { rows } = (await db.services.database.db.execute(
      sql`select action from audit_log where seq = ${first}`,
    )) as unknown as { rows: { action: string }[] };
    const original = rows[0]!.action;
    await db.services.database.db.execute(
      sql`update audit_log set action = 'forged' where seq = ${first}`,
    );
    await db.close();
    const keyBefore = readFileSync(t.server.masterKeyFile!, 'utf8');
    await expect(rotateMasterKey(config)).rejects.toThrow(/audit log does not verify/);
    expect(readFileSync(t.server.masterKeyFile!, 'utf8')).toBe(keyBefore);
    restarted = await createServer({ config });
    expect(await ciphertexts(restarted)).toEqual(beforeRows);
    // put the row back: the chain verifies again under the unchanged key
    await restarted.services.database.db.execute(
      sql`update audit_log set action = ${original} where seq = ${first}`,
    );
    expect((await restarted.services.audit.verify()).ok).toBe(true);
  });

  it('with SPIN_MASTER_KEY, returns the new key for the operator to set and leaves files alone', async () => {
    await restarted?.close();
    restarted = null;
    const keyFile = t.server.masterKeyFile!;
    const current = readFileSync(keyFile, 'utf8').trim();
    const config = { ...t.server.config, masterKey: current };
    const result = await rotateMasterKey(config);
    expect(result.keyFile).toBeNull();
    expect(result.newKeyBase64).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(current);
    await expect(createServer({ config })).rejects.toThrow(/cannot decrypt the server signing key/);
    restarted = await createServer({ config: { ...config, masterKey: result.newKeyBase64! } });
    expect((await restarted.services.audit.verify()).ok).toBe(true);
  });
});
