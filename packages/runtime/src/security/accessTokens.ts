import { SpinError, verifyAccessToken, type AccessTokenClaims } from '@spin/protocol';
import type { PairingStore } from './pairing.js';

/**
 * Verify a client's access token (DESIGN.md §1 "Access tokens") against the paired server's
 * keys, with `aud` = this runtime's id and `iss` = the paired issuer.
 */
export async function verifySessionToken(
  token: unknown,
  pairing: PairingStore,
  runtimeId: string,
): Promise<AccessTokenClaims> {
  const p = pairing.pairing;
  if (!p) throw new SpinError('runtime.not_paired', 'this runtime is not paired with a server');
  return verifyAccessToken(token, { serverJwks: p.jwks, audience: runtimeId, issuer: p.issuer });
}
