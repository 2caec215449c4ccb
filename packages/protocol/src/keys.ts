import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { sha256Hex } from './canonicalJson.js';
import { StorableStringSchema } from './strings.js';

/** Algorithms SPIN accepts anywhere; nothing else is ever negotiated (no `none`, no HMAC). */
export const SIGNING_ALG = 'EdDSA';
export const KEY_MANAGEMENT_ALG = 'ECDH-ES+A256KW';
export const CONTENT_ENCRYPTION_ALG = 'A256GCM';

/** Public OKP JWK (Ed25519 or X25519) as published by servers and runtimes. */
export const PublicJwkSchema = z
  .object({
    kty: z.literal('OKP'),
    crv: z.enum(['Ed25519', 'X25519']),
    x: z
      .string()
      .min(40)
      .max(50)
      .regex(/^[A-Za-z0-9_-]+$/, 'x is base64url'),
    kid: StorableStringSchema.min(1).max(128),
    alg: StorableStringSchema.max(64).optional(),
    use: StorableStringSchema.max(64).optional(),
  })
  .loose()
  .refine((k) => !('d' in k), 'a public key must not contain private material ("d")');
export type PublicJwk = z.infer<typeof PublicJwkSchema>;

export const JwksSchema = z.object({ keys: z.array(PublicJwkSchema).min(1).max(16) });
export type Jwks = z.infer<typeof JwksSchema>;

/** A key pair as kept on disk / in the database (private JWK includes `d`). */
export interface KeyPairJwk {
  privateJwk: JWK;
  publicJwk: PublicJwk;
}

async function toPair(
  pair: { privateKey: CryptoKey; publicKey: CryptoKey },
  alg: string,
  use: 'sig' | 'enc',
): Promise<KeyPairJwk> {
  const pub = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const priv = await exportJWK(pair.privateKey);
  return {
    privateJwk: { ...priv, kid, alg, use },
    publicJwk: PublicJwkSchema.parse({ ...pub, kid, alg, use }),
  };
}

/** New Ed25519 signing key (server programs/tokens, runtime receipts). kid = RFC 7638 thumbprint. */
export async function generateSigningKey(): Promise<KeyPairJwk> {
  const pair = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  return toPair(pair, SIGNING_ALG, 'sig');
}

/** New X25519 key agreement key (runtime's program-decryption key). */
export async function generateEncryptionKey(): Promise<KeyPairJwk> {
  const pair = await generateKeyPair(KEY_MANAGEMENT_ALG, { crv: 'X25519', extractable: true });
  return toPair(pair, KEY_MANAGEMENT_ALG, 'enc');
}

/** Import a JWK as a CryptoKey for the given algorithm. */
export async function importKey(jwk: JWK, alg: string): Promise<CryptoKey> {
  const key = await importJWK(jwk, alg);
  if (key instanceof Uint8Array) throw new TypeError('symmetric keys are not accepted');
  return key;
}

/**
 * Human-comparable fingerprint of a runtime's identity: SHA-256 over both public keys' RFC 7638
 * thumbprints, shown as `SHA256:` + 16 colon-separated hex pairs (first 128 bits). The
 * thumbprints are computed from the key material, never taken from `kid`, so a relayed identity
 * cannot pair other keys with a known fingerprint.
 */
export async function runtimeFingerprint(
  signing: PublicJwk,
  encryption: PublicJwk,
): Promise<string> {
  const [s, e] = await Promise.all([
    calculateJwkThumbprint(signing as JWK, 'sha256'),
    calculateJwkThumbprint(encryption as JWK, 'sha256'),
  ]);
  const hex = await sha256Hex(`${s}.${e}`);
  return 'SHA256:' + (hex.slice(0, 32).match(/../g) ?? []).join(':');
}
