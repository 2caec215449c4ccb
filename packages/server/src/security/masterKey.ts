import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The master key encrypts secrets at rest (server signing key, later connection secrets) with
 * AES-256-GCM. Ciphertexts are `v1:<keyId>:<iv>:<ciphertext+tag>` (base64url parts) so a key
 * can be rotated: the keyId says which master key sealed a value.
 */
export interface MasterKey {
  /** First 16 hex chars of sha256(key): identifies the key without revealing it. */
  id: string;
  encrypt(plaintext: string): string;
  decrypt(sealed: string): string;
}

/** Name of the generated key file inside SPIN_DATA_DIR. */
export const MASTER_KEY_FILE = 'master.key';

function decodeKey(b64: string, source: string): Buffer {
  const key = Buffer.from(b64.trim(), 'base64');
  if (key.length !== 32) {
    throw new Error(`${source} must be 32 bytes, base64-encoded (got ${key.length} bytes)`);
  }
  return key;
}

/** Wrap raw key bytes. */
export function masterKeyFromBytes(key: Buffer): MasterKey {
  const id = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return {
    id,
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([
        cipher.update(plaintext, 'utf8'),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return `v1:${id}:${iv.toString('base64url')}:${ct.toString('base64url')}`;
    },
    decrypt(sealed) {
      const [version, keyId, ivB64, ctB64] = sealed.split(':');
      if (version !== 'v1' || !keyId || !ivB64 || !ctB64) {
        throw new Error('encrypted value is not in the v1:<keyId>:<iv>:<ciphertext> format');
      }
      if (keyId !== id) {
        throw new Error(
          `value was encrypted with master key ${keyId}, but the configured master key is ${id}` +
            ' (SPIN_MASTER_KEY or master.key changed?)',
        );
      }
      const data = Buffer.from(ctB64, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivB64, 'base64url'));
      decipher.setAuthTag(data.subarray(data.length - 16));
      try {
        return Buffer.concat([
          decipher.update(data.subarray(0, data.length - 16)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new Error(`value sealed with master key ${id} failed authentication (tampered?)`);
      }
    },
  };
}

/**
 * Load the master key from `SPIN_MASTER_KEY` (base64) or `<dataDir>/master.key`, generating the
 * file (mode 0600) on first start. A key file readable by others is tightened to 0600.
 */
export function loadMasterKey(opts: { masterKey: string | undefined; dataDir: string }): MasterKey {
  if (opts.masterKey) return masterKeyFromBytes(decodeKey(opts.masterKey, 'SPIN_MASTER_KEY'));
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const file = join(opts.dataDir, MASTER_KEY_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    text = randomBytes(32).toString('base64') + '\n';
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  }
  return masterKeyFromBytes(decodeKey(text, file));
}
