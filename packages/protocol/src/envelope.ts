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

export interface SealOptions<K = CryptoKey> {
  /** Server's Ed25519 private key and its kid. */
  signingKey: K;
  signingKid: string;
  /** Runtime's X25519 public key and its kid. */
  recipientKey: K;
  recipientKid: string;
}

export interface OpenOptions<K = CryptoKey> {
  /** Runtime's X25519 private key and its kid. */
  decryptionKey: K;
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

/** Keys for opening any sealed envelope. */
export type OpenKeys<K = CryptoKey> = Pick<
  OpenOptions<K>,
  'decryptionKey' | 'decryptionKid' | 'serverJwks'
>;

/**
 * The cryptography under an envelope. Every header, `typ` and claim check around it lives here,
 * once, so the `jose` engine (browser and Node) and the Node-only fast engine
 * (`@spin/protocol/node`) accept and refuse exactly the same envelopes with the same codes.
 */
export interface EnvelopeEngine<K> {
  /** Compact JWS (EdDSA, header `{alg, kid, typ}`) inside compact JWE (`{alg, enc, kid, cty, epk}`). */
  seal(typ: string, payload: Uint8Array, opts: SealOptions<K>): Promise<string>;
  /** Decrypt a JWE whose header passed the allow-list; throw anything on failure. */
  decrypt(jwe: string, header: Record<string, unknown>, opts: OpenKeys<K>): Promise<Uint8Array>;
  /** Verify a JWS whose header passed the allow-list; throw `unknown_signer`/`signature_invalid`. */
  verify(
    jws: string,
    header: Record<string, unknown>,
    jwks: Jwks,
    noun: string,
  ): Promise<Uint8Array>;
  /** Decode a protected header segment to a JSON object; throw if it is not one. */
  decodeHeader?(segment: string): Record<string, unknown>;
}

function headerOf(
  token: string,
  parts: number,
  decode?: (segment: string) => Record<string, unknown>,
): Record<string, unknown> {
  if (typeof token !== 'string' || token.split('.').length !== parts) {
    throw new SpinError(
      'envelope.malformed',
      parts === 5 ? 'program is not a compact JWE' : 'program payload is not a compact JWS',
    );
  }
  try {
    return decode
      ? decode(token.slice(0, token.indexOf('.')))
      : (decodeProtectedHeader(token) as Record<string, unknown>);
  } catch {
    throw new SpinError('envelope.malformed', 'program header is not valid base64url JSON');
  }
}

/** Decrypt, check the header algorithms and `typ`, verify; returns the signed payload's bytes. */
async function openSigned<K>(
  engine: EnvelopeEngine<K>,
  jwe: string,
  typ: string,
  noun: string,
  opts: OpenKeys<K>,
): Promise<Uint8Array> {
  const decode = engine.decodeHeader?.bind(engine);
  const outer = headerOf(jwe, 5, decode);
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
    jws = dec.decode(await engine.decrypt(jwe, outer, opts));
  } catch {
    throw new SpinError('envelope.decrypt_failed', `${noun} could not be decrypted (tampered?)`);
  }

  const inner = headerOf(jws, 3, decode);
  if (inner.alg !== SIGNING_ALG) {
    throw new SpinError(
      'envelope.alg_not_allowed',
      `signature algorithm ${String(inner.alg)} is not allowed`,
    );
  }
  if (inner.typ !== typ) {
    throw new SpinError('envelope.malformed', `payload is not a SPIN ${noun}`);
  }
  return engine.verify(jws, inner, opts.serverJwks, noun);
}

/** The four envelope operations over one engine. */
export interface EnvelopeApi<K> {
  sealProgram(claims: ProgramClaims, opts: SealOptions<K>): Promise<string>;
  sealCredentialBundle(claims: CredentialBundleClaims, opts: SealOptions<K>): Promise<string>;
  openProgram(jwe: string, opts: OpenOptions<K>): Promise<ProgramClaims>;
  openCredentialBundle(
    jwe: string,
    opts: OpenKeys<K> & { audience: string },
  ): Promise<CredentialBundleClaims>;
}

export function envelopeApi<K>(engine: EnvelopeEngine<K>): EnvelopeApi<K> {
  return {
    async sealProgram(claims, opts) {
      const parsed = ProgramClaimsSchema.parse(claims);
      if (parsed.exp - parsed.iat > MAX_PROGRAM_TTL_S) {
        throw new SpinError('envelope.claims_invalid', 'program lifetime exceeds 5 minutes');
      }
      return engine.seal(PROGRAM_JWS_TYP, enc.encode(JSON.stringify(parsed)), opts);
    },
    async sealCredentialBundle(claims, opts) {
      const parsed = CredentialBundleClaimsSchema.parse(claims);
      return engine.seal(CREDENTIAL_BUNDLE_TYP, enc.encode(JSON.stringify(parsed)), opts);
    },
    async openProgram(jwe, opts) {
      const payload = await openSigned(engine, jwe, PROGRAM_JWS_TYP, 'program', opts);
      let claims: ProgramClaims;
      try {
        claims = ProgramClaimsSchema.parse(JSON.parse(dec.decode(payload)));
      } catch {
        throw new SpinError('envelope.claims_invalid', 'program claims are invalid');
      }
      const now = opts.now ?? Math.floor(Date.now() / 1000);
      const skew = opts.clockToleranceS ?? 30;
      if (claims.aud !== opts.audience) {
        throw new SpinError(
          'envelope.audience_mismatch',
          'program is addressed to another runtime',
        );
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
    },
    async openCredentialBundle(jwe, opts) {
      const payload = await openSigned(
        engine,
        jwe,
        CREDENTIAL_BUNDLE_TYP,
        'credential bundle',
        opts,
      );
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
    },
  };
}

/** The `jose` engine: WebCrypto, runs in browsers and Node alike. */
const joseEngine: EnvelopeEngine<CryptoKey> = {
  async seal(typ, payload, opts) {
    const jws = await new CompactSign(payload)
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
  },
  async decrypt(jwe, _header, opts) {
    const { plaintext } = await compactDecrypt(jwe, opts.decryptionKey, {
      keyManagementAlgorithms: [KEY_MANAGEMENT_ALG],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION_ALG],
      maxDecompressedLength: 0, // never inflate, even if the header check were bypassed
    });
    return plaintext;
  },
  async verify(jws, _header, jwks, noun) {
    const keySet = createLocalJWKSet({ keys: jwks.keys as JWK[] });
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
  },
};

const joseApi = envelopeApi(joseEngine);

/** Sign then encrypt a program. Returns the compact JWE. */
export function sealProgram(claims: ProgramClaims, opts: SealOptions): Promise<string> {
  return joseApi.sealProgram(claims, opts);
}

/**
 * Sign then encrypt a runtime's credential bundle (credentials.ts), exactly like a program but
 * with its own JWS `typ`, so neither can pass as the other.
 */
export function sealCredentialBundle(
  claims: CredentialBundleClaims,
  opts: SealOptions,
): Promise<string> {
  return joseApi.sealCredentialBundle(claims, opts);
}

/**
 * Decrypt and verify a program. Every failure is a SpinError with its own stable code:
 * `envelope.malformed`, `alg_not_allowed`, `wrong_recipient`, `decrypt_failed`,
 * `unknown_signer`, `signature_invalid`, `claims_invalid`, `audience_mismatch`, `expired`,
 * `not_yet_valid`, `replayed`, `compression_not_allowed`.
 */
export function openProgram(jwe: string, opts: OpenOptions): Promise<ProgramClaims> {
  return joseApi.openProgram(jwe, opts);
}

/**
 * Decrypt and verify a credential bundle sealed for this runtime (`audience`). Envelope failures
 * carry the `envelope.*` codes of {@link openProgram}; a bundle whose claims do not parse or are
 * addressed to another runtime is `credentials.bundle_invalid`. Version ordering (refusing older
 * bundles) is the caller's: it knows which version it holds.
 */
export function openCredentialBundle(
  jwe: string,
  opts: OpenKeys & { audience: string },
): Promise<CredentialBundleClaims> {
  return joseApi.openCredentialBundle(jwe, opts);
}
