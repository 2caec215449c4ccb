import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

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
  /**
   * A 32-byte subkey for one purpose (HKDF-SHA256, RFC 5869, with `info` naming the purpose),
   * so each use of the master key gets its own key and none of them reveals another.
   */
  deriveKey(info: string): Buffer;
}

/** Name of the key file that older versions generated inside SPIN_DATA_DIR. */
export const LEGACY_MASTER_KEY_FILE = 'master.key';

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
    deriveKey(info) {
      return Buffer.from(hkdfSync('sha256', key, Buffer.from('spin master key'), info, 32));
    },
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

/** Where the master key came from, for logs and for hiding it from user code. */
export interface LoadedMasterKey {
  key: MasterKey;
  /** The key file in use; null when the key came from `SPIN_MASTER_KEY`. */
  file: string | null;
  /** A key file found in the data directory and moved to `file` on this start. */
  movedFrom: string | null;
  /** A key file left in the data directory although `SPIN_MASTER_KEY` is set. */
  strayFile: string | null;
}

function readKeyFile(file: string): Buffer {
  const key = decodeKey(readFileSync(file, 'utf8'), file);
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return key;
}

/** Move `from` to `to` (0600), across file systems too, without overwriting `to`. */
function moveKeyFile(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    writeFileSync(to, readFileSync(from), { mode: 0o600, flag: 'wx' });
    unlinkSync(from);
  }
  chmodSync(to, 0o600);
}

/**
 * Load the master key from `SPIN_MASTER_KEY` (base64) or from `file`, generating the file
 * (mode 0600, folder 0700) on first start. The file lives outside the data directory; a
 * `master.key` that an older version left in `dataDir` is moved to `file` (or removed when
 * `file` already holds the same key; a different key there is an error naming both files).
 */
export function loadMasterKey(opts: {
  masterKey: string | undefined;
  file: string;
  dataDir: string;
}): LoadedMasterKey {
  const legacy = join(opts.dataDir, LEGACY_MASTER_KEY_FILE);
  const file = resolve(opts.file);
  if (opts.masterKey) {
    return {
      key: masterKeyFromBytes(decodeKey(opts.masterKey, 'SPIN_MASTER_KEY')),
      file: null,
      movedFrom: null,
      strayFile: existsSync(legacy) ? legacy : null,
    };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let movedFrom: string | null = null;
  if (resolve(legacy) !== file && existsSync(legacy)) {
    if (!existsSync(file)) {
      moveKeyFile(legacy, file);
    } else if (readKeyFile(file).equals(readKeyFile(legacy))) {
      unlinkSync(legacy);
    } else {
      throw new Error(
        `two different master keys: ${legacy} (in the data directory) and ${file}. ` +
          `Move ${legacy} outside the data directory and set SPIN_MASTER_KEY_FILE to its new path.`,
      );
    }
    movedFrom = legacy;
  }
  let key: Buffer;
  try {
    key = readKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const text = randomBytes(32).toString('base64') + '\n';
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    key = decodeKey(text, file);
  }
  return { key: masterKeyFromBytes(key), file, movedFrom, strayFile: null };
}
