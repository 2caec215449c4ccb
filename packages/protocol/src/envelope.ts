import {
  CompactEncrypt,
  CompactSign,
  compactDecrypt,
  compactVerify,
  createLocalJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  type JWK,
} from 'jose';
import { SpinError } from './errors.js';
import { CONTENT_ENCRYPTION_ALG, KEY_MANAGEMENT_ALG, SIGNING_ALG, type Jwks } from './keys.js';
import {
  CREDENTIAL_BUNDLE_TYP,
  CredentialBundleClaimsSchema,
  type CredentialBundleClaims,
} from './credentials.js';
import { MAX_PROGRAM_TTL_S, ProgramClaimsSchema, type ProgramClaims } from './program.js';

/**
 * Program envelopes (DESIGN.md §1 steps 3–5): a JWS (RFC 7515, EdDSA, server key) nested in a
 * JWE (RFC 7516, ECDH-ES+A256KW / A256GCM, runtime X25519 key). The client relays the compact
 * JWE; it can neither read nor forge it.
 */
export const PROGRAM_JWS_TYP = 'spin-program+jwt';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface SealOptions {
  /** Server's Ed25519 private key and its kid. */
  signingKey: CryptoKey;
  signingKid: string;
  /** Runtime's X25519 public key and its kid. */
  recipientKey: CryptoKey;
  recipientKid: string;
}

/** Sign then encrypt a JSON payload with JWS `typ`. Returns the compact JWE. */
async function sealSigned(typ: string, payload: unknown, opts: SealOptions): Promise<string> {
  const jws = await new CompactSign(enc.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: SIGNING_ALG, kid: opts.signingKid, typ })
    .sign(opts.signingKey);
  return new CompactEncrypt(enc.encode(jws))
    .setProtectedHeader({
      alg: KEY_MANAGEMENT_ALG,
      enc: CONTENT_ENCRYPTION_ALG,
      kid: opts.recipientKid,
      cty: 'JWT',
    })
    .encrypt(opts.recipientKey);
}

/** Sign then encrypt a program. Returns the compact JWE. */
export async function sealProgram(claims: ProgramClaims, opts: SealOptions): Promise<string> {
  const parsed = ProgramClaimsSchema.parse(claims);
  if (parsed.exp - parsed.iat > MAX_PROGRAM_TTL_S) {
    throw new SpinError('envelope.claims_invalid', 'program lifetime exceeds 5 minutes');
  }
  return sealSigned(PROGRAM_JWS_TYP, parsed, opts);
}

/**
 * Sign then encrypt a runtime's credential bundle (credentials.ts), exactly like a program but
 * with its own JWS `typ`, so neither can pass as the other.
 */
export async function sealCredentialBundle(
  claims: CredentialBundleClaims,
  opts: SealOptions,
): Promise<string> {
  return sealSigned(CREDENTIAL_BUNDLE_TYP, CredentialBundleClaimsSchema.parse(claims), opts);
}

export interface OpenOptions {
  /** Runtime's X25519 private key and its kid. */
  decryptionKey: CryptoKey;
  decryptionKid: string;
  /** The paired server's public signing keys. */
  serverJwks: Jwks;
  /** This runtime's id; programs for any other audience are rejected. */
  audience: string;
  /** Seconds since epoch; defaults to now. */
  now?: number;
  /** Allowed clock skew in seconds (default 30). */
  clockToleranceS?: number;
  /**
   * Record `jti` as used until `exp`; resolve false if it was seen before. Called only after
   * every other check passed, so a forged program cannot burn a legitimate jti.
   */
  claimJti: (jti: string, exp: number) => Promise<boolean>;
  /**
   * Extra checks on verified claims (e.g. `sub`/`sid` must match the attached access token),
   * run before the jti is claimed. Throw a SpinError to reject.
   */
  authorize?: (claims: ProgramClaims) => void | Promise<void>;
}

function headerOf(token: string, parts: number): Record<string, unknown> {
  if (typeof token !== 'string' || token.split('.').length !== parts) {
    throw new SpinError(
      'envelope.malformed',
      parts === 5 ? 'program is not a compact JWE' : 'program payload is not a compact JWS',
    );
  }
  try {
    return decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    throw new SpinError('envelope.malformed', 'program header is not valid base64url JSON');
  }
}

/** Keys and the expected audience for opening any sealed envelope. */
type OpenKeys = Pick<OpenOptions, 'decryptionKey' | 'decryptionKid' | 'serverJwks'>;

/** Decrypt, check the header algorithms and `typ`, verify; returns the signed payload's bytes. */
async function openSigned(
  jwe: string,
  typ: string,
  noun: string,
  opts: OpenKeys,
): Promise<Uint8Array> {
  const outer = headerOf(jwe, 5);
  if (outer.alg !== KEY_MANAGEMENT_ALG || outer.enc !== CONTENT_ENCRYPTION_ALG) {
    throw new SpinError(
      'envelope.alg_not_allowed',
      `envelope algorithm ${String(outer.alg)}/${String(outer.enc)} is not allowed`,
    );
  }
  // RFC 7516 §4.1.3 compression: jose would inflate the plaintext after decrypting (up to
  // 250 kB by default), so a tiny envelope could cost the runtime CPU and memory before any
  // signature is checked. SPIN never compresses envelopes: refuse before touching the key.
  if (outer.zip !== undefined) {
    throw new SpinError(
      'envelope.compression_not_allowed',
      'compressed envelopes ("zip" header) are not accepted',
    );
  }
  if (outer.kid !== opts.decryptionKid) {
    throw new SpinError('envelope.wrong_recipient', `${noun} was encrypted for another runtime`);
  }
  let jws: string;
  try {
    const { plaintext } = await compactDecrypt(jwe, opts.decryptionKey, {
      keyManagementAlgorithms: [KEY_MANAGEMENT_ALG],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION_ALG],
      maxDecompressedLength: 0, // never inflate, even if the header check above were bypassed
    });
    jws = dec.decode(plaintext);
  } catch {
    throw new SpinError('envelope.decrypt_failed', `${noun} could not be decrypted (tampered?)`);
  }

  const inner = headerOf(jws, 3);
  if (inner.alg !== SIGNING_ALG) {
    throw new SpinError(
      'envelope.alg_not_allowed',
      `signature algorithm ${String(inner.alg)} is not allowed`,
    );
  }
  if (inner.typ !== typ) {
    throw new SpinError('envelope.malformed', `payload is not a SPIN ${noun}`);
  }
  const keySet = createLocalJWKSet({ keys: opts.serverJwks.keys as JWK[] });
  try {
    return (await compactVerify(jws, keySet, { algorithms: [SIGNING_ALG] })).payload;
  } catch (err) {
    if (err instanceof joseErrors.JWKSNoMatchingKey) {
      throw new SpinError(
        'envelope.unknown_signer',
        `${noun} was signed by a key this runtime is not paired with`,
      );
    }
    throw new SpinError('envelope.signature_invalid', `${noun} signature is invalid`);
  }
}

/**
 * Decrypt and verify a program. Every failure is a SpinError with its own stable code:
 * `envelope.malformed`, `alg_not_allowed`, `wrong_recipient`, `decrypt_failed`,
 * `unknown_signer`, `signature_invalid`, `claims_invalid`, `audience_mismatch`, `expired`,
 * `not_yet_valid`, `replayed`, `compression_not_allowed`.
 */
export async function openProgram(jwe: string, opts: OpenOptions): Promise<ProgramClaims> {
  const payload = await openSigned(jwe, PROGRAM_JWS_TYP, 'program', opts);
  let claims: ProgramClaims;
  try {
    claims = ProgramClaimsSchema.parse(JSON.parse(dec.decode(payload)));
  } catch {
    throw new SpinError('envelope.claims_invalid', 'program claims are invalid');
  }
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const skew = opts.clockToleranceS ?? 30;
  if (claims.aud !== opts.audience) {
    throw new SpinError('envelope.audience_mismatch', 'program is addressed to another runtime');
  }
  if (claims.exp - claims.iat > MAX_PROGRAM_TTL_S) {
    throw new SpinError('envelope.claims_invalid', 'program lifetime exceeds 5 minutes');
  }
  if (claims.exp <= now - skew) throw new SpinError('envelope.expired', 'program has expired');
  if (claims.iat > now + skew)
    throw new SpinError('envelope.not_yet_valid', 'program is not valid yet');
  if (opts.authorize) await opts.authorize(claims);
  if (!(await opts.claimJti(claims.jti, claims.exp))) {
    throw new SpinError('envelope.replayed', 'program was already executed (replayed jti)');
  }
  return claims;
}

/**
 * Decrypt and verify a credential bundle sealed for this runtime (`audience`). Envelope failures
 * carry the `envelope.*` codes of {@link openProgram}; a bundle whose claims do not parse or are
 * addressed to another runtime is `credentials.bundle_invalid`. Version ordering (refusing older
 * bundles) is the caller's: it knows which version it holds.
 */
export async function openCredentialBundle(
  jwe: string,
  opts: OpenKeys & { audience: string },
): Promise<CredentialBundleClaims> {
  const payload = await openSigned(jwe, CREDENTIAL_BUNDLE_TYP, 'credential bundle', opts);
  let claims: CredentialBundleClaims;
  try {
    claims = CredentialBundleClaimsSchema.parse(JSON.parse(dec.decode(payload)));
  } catch {
    throw new SpinError('credentials.bundle_invalid', 'credential bundle claims are invalid');
  }
  if (claims.aud !== opts.audience) {
    throw new SpinError(
      'credentials.bundle_invalid',
      'credential bundle is addressed to another runtime',
    );
  }
  return claims;
}
