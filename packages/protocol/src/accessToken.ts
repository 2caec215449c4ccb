import {
  SignJWT,
  createLocalJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWK,
} from 'jose';
import { z } from 'zod';
import { SpinError } from './errors.js';
import { SIGNING_ALG, type Jwks } from './keys.js';

/** Permissions an access token can carry for a runtime session. */
export const SessionPermissionSchema = z.enum(['view', 'execute', 'interrupt', 'own']);
export type SessionPermission = z.infer<typeof SessionPermissionSchema>;

export const ACCESS_TOKEN_TYP = 'spin-access+jwt';
/** Default lifetime of an access token, seconds. */
export const ACCESS_TOKEN_TTL_S = 600;

/** Claims of the short-lived JWT a client presents to a runtime (DESIGN.md §1 "Access tokens"). */
export const AccessTokenClaimsSchema = z.object({
  iss: z.string(),
  aud: z.string(),
  sub: z.string(),
  sid: z.string(),
  notebook: z.string(),
  role: z.string(),
  perms: z.array(SessionPermissionSchema),
  ownerEpoch: z.number().int().nonnegative(),
  jti: z.string(),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type AccessTokenClaims = z.infer<typeof AccessTokenClaimsSchema>;

/** Mint an access token (server side). */
export async function signAccessToken(
  claims: Omit<AccessTokenClaims, 'iat' | 'exp' | 'jti'> & { ttlS?: number; jti?: string },
  key: CryptoKey,
  kid: string,
): Promise<string> {
  const { ttlS = ACCESS_TOKEN_TTL_S, iss, aud, sub, jti, ...rest } = claims;
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(iss)
    .setAudience(aud)
    .setSubject(sub)
    .setJti(jti ?? crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${ttlS}s`)
    .sign(key);
}

/**
 * Verify an access token against the paired server keys and this runtime's id. Errors:
 * `auth.token_missing`, `auth.token_invalid`, `auth.token_expired`, `envelope.alg_not_allowed`.
 */
export async function verifyAccessToken(
  token: unknown,
  opts: { serverJwks: Jwks; audience: string; issuer?: string },
): Promise<AccessTokenClaims> {
  if (typeof token !== 'string' || token.length === 0) {
    throw new SpinError('auth.token_missing', 'an access token is required');
  }
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    throw new SpinError('auth.token_invalid', 'access token is malformed');
  }
  if (header.alg !== SIGNING_ALG) {
    throw new SpinError(
      'envelope.alg_not_allowed',
      `token algorithm ${String(header.alg)} is not allowed`,
    );
  }
  try {
    const { payload } = await jwtVerify(
      token,
      createLocalJWKSet({ keys: opts.serverJwks.keys as JWK[] }),
      {
        algorithms: [SIGNING_ALG],
        audience: opts.audience,
        typ: ACCESS_TOKEN_TYP,
        ...(opts.issuer ? { issuer: opts.issuer } : {}),
        clockTolerance: 30,
      },
    );
    return AccessTokenClaimsSchema.parse(payload);
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      throw new SpinError('auth.token_expired', 'access token has expired');
    }
    throw new SpinError('auth.token_invalid', 'access token is invalid');
  }
}
