import { randomBytes } from 'node:crypto';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerConfig } from '../config.js';
import type { Db } from '../db/connection.js';
import { openDatabase } from '../db/connection.js';
import { join } from 'node:path';
import { auditRepository } from '../repositories/auditRepository.js';
import { credentialsRepository } from '../repositories/credentialsRepository.js';
import { serverKeysRepository } from '../repositories/serverKeysRepository.js';
import { AUDIT_KEY_INFO, AuditService, auditHmac, GENESIS_HASH } from '../services/auditService.js';
import { loadMasterKey, masterKeyFromBytes, type MasterKey } from './masterKey.js';

/** What {@link rotateMasterKey} did. */
export interface MasterKeyRotation {
  fromKeyId: string;
  toKeyId: string;
  /** Ciphertexts re-encrypted, per kind. */
  reencrypted: { serverKeys: number; secrets: number; connections: number };
  /** Audit entries re-chained with the new key's chain key. */
  auditEntries: number;
  /** The key file now holding the new key; null when the key comes from `SPIN_MASTER_KEY`. */
  keyFile: string | null;
  /**
   * The new key (base64) when the old one came from `SPIN_MASTER_KEY`: the operator sets it
   * there before the next start. Null when it was written to the key file.
   */
  newKeyBase64: string | null;
}

function reseal(oldKey: MasterKey, newKey: MasterKey, sealed: string, what: string): string {
  let plain: string;
  try {
    plain = oldKey.decrypt(sealed);
  } catch (err) {
    throw new Error(
      `cannot decrypt ${what} with the current master key: ${(err as Error).message}`,
    );
  }
  return newKey.encrypt(plain);
}

/**
 * Re-chain the audit log under `newKey`'s chain key, after checking the whole chain under the
 * old one: a log that does not verify is refused (re-keying would launder its tampering).
 */
async function rechainAudit(tx: Db, oldKey: MasterKey, newKey: MasterKey): Promise<number> {
  const verdict = await new AuditService(tx, oldKey.deriveKey(AUDIT_KEY_INFO)).verify();
  if (!verdict.ok) {
    throw new Error(
      `the audit log does not verify (seq ${verdict.brokenAt}: ${verdict.reason}); not rotating`,
    );
  }
  const key = newKey.deriveKey(AUDIT_KEY_INFO);
  let prevHash = GENESIS_HASH;
  let after = 0;
  let n = 0;
  for (;;) {
    const rows = await auditRepository.page(tx, after, 500);
    if (rows.length === 0) return n;
    for (const row of rows) {
      const hash = auditHmac(key, prevHash, row);
      await auditRepository.rechain(tx, row.seq, prevHash, hash);
      prevHash = hash;
      after = row.seq;
      n++;
    }
  }
}

/**
 * `spin secrets rotate-master-key`: re-encrypt every ciphertext the server holds — the sealed
 * server signing keys, `spin_store` secret values and connections' write-only fields — and
 * re-chain the audit log (its key derives from the master key) under a new master key, in one
 * transaction. Afterwards the old key decrypts nothing the database holds. Run it with the
 * server stopped (a running server keeps the old key in memory).
 *
 * With a key file, the new key is written beside it first (`<file>.new`, 0600), the database
 * committed, then the file replaced — a crash in between leaves the new key in `<file>.new`.
 * With `SPIN_MASTER_KEY`, the new key is returned for the operator to set.
 */
export async function rotateMasterKey(
  config: ServerConfig,
  opts: { newKey?: Buffer } = {},
): Promise<MasterKeyRotation> {
  const loaded = loadMasterKey({
    masterKey: config.masterKey,
    file: config.masterKeyFile,
    dataDir: config.dataDir,
  });
  const oldKey = loaded.key;
  const bytes = opts.newKey ?? randomBytes(32);
  if (bytes.length !== 32) throw new Error('the new master key must be 32 bytes');
  const newKey = masterKeyFromBytes(bytes);
  if (newKey.id === oldKey.id) throw new Error('the new master key is the current one');

  const pending = loaded.file ? `${loaded.file}.new` : null;
  if (pending) writeFileSync(pending, bytes.toString('base64') + '\n', { mode: 0o600 });
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: join(config.dataDir, 'db'),
  });
  try {
    await database.migrate();
    const result = await database.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      await auditRepository.lockForAppend(tx);
      const keys = await serverKeysRepository.listAllForUpdate(tx);
      for (const k of keys) {
        const sealed = reseal(oldKey, newKey, k.privateJwkEnc, `server key ${k.kid}`);
        await serverKeysRepository.setPrivateJwkEnc(tx, k.kid, sealed);
      }
      const ct = await credentialsRepository.allCiphertexts(tx);
      let secrets = 0;
      let connections = 0;
      for (const s of ct.secrets) {
        if (s.enc === null) continue;
        await credentialsRepository.setSecretCiphertext(
          tx,
          s.id,
          reseal(oldKey, newKey, s.enc, `secret ${s.id}`),
        );
        secrets++;
      }
      for (const c of ct.connections) {
        if (c.enc === null) continue;
        await credentialsRepository.setConnectionCiphertext(
          tx,
          c.id,
          reseal(oldKey, newKey, c.enc, `connection ${c.id}`),
        );
        connections++;
      }
      const auditEntries = await rechainAudit(tx, oldKey, newKey);
      const reencrypted = { serverKeys: keys.length, secrets, connections };
      await new AuditService(tx, newKey.deriveKey(AUDIT_KEY_INFO)).append(
        {
          actor: 'system:cli',
          action: 'security.master_key_rotated',
          subject: null,
          data: { fromKeyId: oldKey.id, toKeyId: newKey.id, ...reencrypted, auditEntries },
        },
        tx,
      );
      return { reencrypted, auditEntries };
    });
    if (pending && loaded.file) {
      renameSync(pending, loaded.file);
      chmodSync(loaded.file, 0o600);
    }
    return {
      fromKeyId: oldKey.id,
      toKeyId: newKey.id,
      ...result,
      keyFile: loaded.file,
      newKeyBase64: loaded.file ? null : bytes.toString('base64'),
    };
  } catch (err) {
    if (pending) rmSync(pending, { force: true });
    throw err;
  } finally {
    await database.close();
  }
}
