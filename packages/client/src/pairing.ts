import { RuntimeIdentitySchema, type Jwks, type RuntimeIdentity } from '@spin/protocol';
import { ApiError, errorFromResponse } from './errors.js';
import type { ServerApi } from './serverApi.js';

/** Fetch a runtime's public identity (`GET /v1/identity`). */
export async function fetchRuntimeIdentity(
  runtimeUrl: string,
  doFetch: typeof fetch = fetch,
): Promise<RuntimeIdentity> {
  const res = await doFetch(runtimeUrl.replace(/\/+$/, '') + '/v1/identity');
  if (!res.ok) throw await errorFromResponse(res);
  return RuntimeIdentitySchema.parse(await res.json());
}

/**
 * Runtime half of pairing (DESIGN.md §1 "Pairing"): hand the runtime the server's public keys
 * and the allowed browser origins, authorised by the runtime's `SPIN_TOKEN`.
 */
export async function pairWithRuntime(opts: {
  runtimeUrl: string;
  spinToken: string;
  server: { issuer: string; jwks: Jwks };
  allowedOrigins: string[];
  fetch?: typeof fetch;
}): Promise<RuntimeIdentity> {
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(opts.runtimeUrl.replace(/\/+$/, '') + '/v1/pair', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.spinToken}` },
      body: JSON.stringify({ server: opts.server, allowedOrigins: opts.allowedOrigins }),
    });
  } catch (err) {
    throw new ApiError(
      'client.network_error',
      `cannot reach the runtime: ${(err as Error).message}`,
    );
  }
  if (!res.ok) throw await errorFromResponse(res);
  return RuntimeIdentitySchema.parse(await res.json());
}

/**
 * Full pairing as an admin does it from the UI: read the server's keys, pair the runtime, then
 * register the runtime's keys at the server. `expectedFingerprint`, when given, must match what
 * the runtime printed at start.
 */
export async function pairRuntime(opts: {
  api: ServerApi;
  runtimeUrl: string;
  spinToken: string;
  name: string;
  allowedOrigins: string[];
  expectedFingerprint?: string;
  fetch?: typeof fetch;
}) {
  const [info, jwks] = await Promise.all([opts.api.serverInfo(), opts.api.jwks()]);
  const identity = await pairWithRuntime({
    runtimeUrl: opts.runtimeUrl,
    spinToken: opts.spinToken,
    server: { issuer: info.issuer, jwks },
    allowedOrigins: opts.allowedOrigins,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  if (opts.expectedFingerprint && identity.fingerprint !== opts.expectedFingerprint) {
    throw new ApiError(
      'client.fingerprint_mismatch',
      'runtime fingerprint does not match the expected one',
    );
  }
  return opts.api.registerRuntime({ name: opts.name, url: opts.runtimeUrl, identity });
}
