import {
  SignJWT,
  calculateJwkThumbprint,
  createLocalJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWK,
} from 'jose';
import { z } from 'zod';
import { sha256Hex } from './canonicalJson.js';
import { SpinError } from './errors.js';
import { SIGNING_ALG, type Jwks } from './keys.js';

/**
 * Pairing grants: once a runtime is paired, pairing it again (new server keys, new origins)
 * needs its SPIN_TOKEN *and* this short-lived JWS, signed by the server key the runtime is
 * currently paired with. The server mints one only for an owner of the runtime's workspace or
 * an org admin (`POST /api/v1/runtimes/:id/pair-grant`), so holding the token alone — or
 * owning some other workspace — cannot re-point a paired runtime.
 */
export const PAIRING_GRANT_TYP = 'spin-pair-grant+jwt';
/** The `purpose` claim; a grant is good for nothing else. */
export const PAIRING_GRANT_PURPOSE = 'runtime.pair';
/** Longest lifetime of a grant, seconds. */
export const MAX_PAIRING_GRANT_TTL_S = 300;

export const PairingGrantClaimsSchema = z.object({
  /** Issuer of the server that minted the grant (informational: the paired key is checked). */
  iss: z.string(),
  /** The runtime id. */
  aud: z.string(),
  /** Who asked for the grant (user id, or `system:…`). */
  sub: z.string(),
  purpose: z.literal(PAIRING_GRANT_PURPOSE),
  /** The server the runtime may be paired with next: its issuer and JWKS thumbprint. */
  server: z.object({ issuer: z.string(), jwks: z.string().regex(/^[0-9a-f]{64}$/) }),
  /** Browser origins the new pairing may allow (normalised `scheme://host[:port]`). */
  origins: z.array(z.string()).max(32),
  jti: z.string().min(1).max(128),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type PairingGrantClaims = z.infer<typeof PairingGrantClaimsSchema>;

/**
 * Thumbprint of a whole JWKS: SHA-256 hex over the sorted RFC 7638 thumbprints of its keys, so
 * it names the key material, not the order or the optional members of the JWKs.
 */
export async function jwksThumbprint(jwks: Jwks): Promise<string> {
  const prints = await Promise.all(
    jwks.keys.map((k) => calculateJwkThumbprint(k as JWK, 'sha256')),
  );
  return sha256Hex(prints.sort().join('.'));
}

/** Mint a grant (server side), valid for `ttlS` ≤ {@link MAX_PAIRING_GRANT_TTL_S} seconds. */
export async function signPairingGrant(
  claims: Omit<PairingGrantClaims, 'iat' | 'exp' | 'purpose' | 'jti'> & {
    jti?: string;
    ttlS?: number;
  },
  key: CryptoKey,
  kid: string,
): Promise<string> {
  const { ttlS = MAX_PAIRING_GRANT_TTL_S, iss, aud, sub, jti, ...rest } = claims;
  if (ttlS > MAX_PAIRING_GRANT_TTL_S) throw new RangeError('pairing grants live at most 300 s');
  return new SignJWT({ ...rest, purpose: PAIRING_GRANT_PURPOSE })
    .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: PAIRING_GRANT_TYP })
    .setIssuer(iss)
    .setAudience(aud)
    .setSubject(sub)
    .setJti(jti ?? crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${ttlS}s`)
    .sign(key);
}

/**
 * Verify a grant against the keys the runtime is paired with and the runtime's own id. The
 * authority is the paired *key*: the issuer name is not compared, so a server that changed its
 * public URL (and so its issuer) can still re-pair its runtimes. Refusals are
 * `runtime.pairing_grant_invalid` (403) naming what is wrong; the caller still checks that the
 * request matches the grant's `server` and `origins` and that `jti` is new.
 */
export async function verifyPairingGrant(
  grant: string,
  opts: { pairedJwks: Jwks; runtimeId: string },
): Promise<PairingGrantClaims> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(
      grant,
      createLocalJWKSet({ keys: opts.pairedJwks.keys as JWK[] }),
      {
        algorithms: [SIGNING_ALG],
        typ: PAIRING_GRANT_TYP,
        audience: opts.runtimeId,
        requiredClaims: ['iss', 'jti', 'iat', 'exp', 'sub'],
        clockTolerance: 5,
      },
    ));
  } catch (err) {
    const why =
      err instanceof joseErrors.JWTExpired
        ? 'it has expired'
        : err instanceof joseErrors.JWTClaimValidationFailed
          ? `its "${err.claim}" claim is wrong`
          : 'it is not signed by the server this runtime is paired with';
    throw new SpinError('runtime.pairing_grant_invalid', `pairing grant refused: ${why}`);
  }
  const parsed = PairingGrantClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    throw new SpinError('runtime.pairing_grant_invalid', 'pairing grant refused: bad claims');
  }
  if (parsed.data.exp - parsed.data.iat > MAX_PAIRING_GRANT_TTL_S) {
    throw new SpinError(
      'runtime.pairing_grant_invalid',
      `pairing grant refused: it lives longer than ${MAX_PAIRING_GRANT_TTL_S} s`,
    );
  }
  return parsed.data;
}
