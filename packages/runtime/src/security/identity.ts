import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import {
  KEY_MANAGEMENT_ALG,
  PublicJwkSchema,
  SIGNING_ALG,
  SPIN_VERSION,
  generateEncryptionKey,
  generateSigningKey,
  importKey,
  runtimeFingerprint,
  type KeyPairJwk,
  type RuntimeIdentity,
  type RuntimeSandbox,
  type RuntimeKernel,
} from '@spin/protocol';
import { ensurePrivateDir, writePrivateFile } from './secureFiles.js';

/**
 * The runtime's long-lived identity (DESIGN.md §1 "Pairing"): a stable `runtimeId`, an Ed25519
 * key that signs receipts and an X25519 key that programs are encrypted to. Private JWKs live
 * in `$SPIN_HOME/keys/` (dir 0700, files 0600) and never leave the machine.
 */
/** A WebCrypto key as protocol's `importKey` returns it. */
export type RuntimeCryptoKey = Awaited<ReturnType<typeof importKey>>;

export interface RuntimeKeys {
  runtimeId: string;
  signing: KeyPairJwk;
  encryption: KeyPairJwk;
  signingKey: RuntimeCryptoKey;
  decryptionKey: RuntimeCryptoKey;
  fingerprint: string;
  /** How user code is isolated (set once at start; reported in the public identity). */
  sandbox?: RuntimeSandbox;
}

interface StoredPair {
  privateJwk: JWK;
  publicJwk: unknown;
}

async function loadOrCreatePair(
  file: string,
  generate: () => Promise<KeyPairJwk>,
): Promise<KeyPairJwk> {
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredPair;
    return { privateJwk: stored.privateJwk, publicJwk: PublicJwkSchema.parse(stored.publicJwk) };
  }
  const pair = await generate();
  writePrivateFile(file, JSON.stringify(pair, null, 2) + '\n');
  return pair;
}

/** Load the identity from `home`, generating keys and runtime.json on first start. */
export async function loadIdentity(home: string): Promise<RuntimeKeys> {
  ensurePrivateDir(home);
  const keysDir = join(home, 'keys');
  ensurePrivateDir(keysDir);
  const signing = await loadOrCreatePair(join(keysDir, 'signing.jwk.json'), generateSigningKey);
  const encryption = await loadOrCreatePair(
    join(keysDir, 'encryption.jwk.json'),
    generateEncryptionKey,
  );
  const runtimeFile = join(home, 'runtime.json');
  let runtimeId: string;
  if (existsSync(runtimeFile)) {
    runtimeId = (JSON.parse(readFileSync(runtimeFile, 'utf8')) as { runtimeId: string }).runtimeId;
  } else {
    runtimeId = 'rt_' + randomBytes(12).toString('base64url');
    writePrivateFile(
      runtimeFile,
      JSON.stringify({ runtimeId, createdAt: new Date().toISOString() }, null, 2) + '\n',
    );
  }
  return {
    runtimeId,
    signing,
    encryption,
    signingKey: await importKey(signing.privateJwk, SIGNING_ALG),
    decryptionKey: await importKey(encryption.privateJwk, KEY_MANAGEMENT_ALG),
    fingerprint: await runtimeFingerprint(signing.publicJwk, encryption.publicJwk),
  };
}

/** The public identity served at `GET /v1/identity`, with the installed kernels when given. */
export function publicIdentity(
  keys: RuntimeKeys,
  paired: boolean,
  kernels?: RuntimeKernel[],
): RuntimeIdentity {
  return {
    runtimeId: keys.runtimeId,
    version: SPIN_VERSION,
    fingerprint: keys.fingerprint,
    keys: { signing: keys.signing.publicJwk, encryption: keys.encryption.publicJwk },
    paired,
    ...(keys.sandbox ? { sandbox: keys.sandbox } : {}),
    ...(kernels ? { kernels } : {}),
  };
}
