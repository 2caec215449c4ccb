import {
  RuntimeIdentitySchema,
  type Jwks,
  type Runtime,
  type RuntimeIdentity,
} from '@spin/protocol';
import { ApiError, errorFromResponse } from './errors.js';
import type { ServerApi } from './serverApi.js';

/**
 * Pairing a runtime (DESIGN.md §1 "Pairing a runtime"), in two steps so a person can look
 * before anything changes:
 *
 * 1. {@link inspectRuntime} reads the runtime's public identity, compares its fingerprint with
 *    the one the operator expects, and finds whether this runtime is already registered (a
 *    re-pair: show the old and the new fingerprint and ask).
 * 2. {@link completePairing} pairs the runtime (with a pairing grant from the server when the
 *    runtime is already paired) and registers — or re-pairs — it at the server.
 *
 * A runtime whose fingerprint does not match is never sent the pairing request.
 */

function base(url: string): string {
  return url.replace(/\/+$/, '');
}

async function reach(doFetch: typeof fetch, url: string, init?: RequestInit): Promise<Response> {
  try {
    return await doFetch(url, init);
  } catch (err) {
    throw new ApiError(
      'client.network_error',
      `cannot reach the runtime: ${(err as Error).message}`,
    );
  }
}

/** Fetch a runtime's public identity (`GET /v1/identity`). */
export async function fetchRuntimeIdentity(
  runtimeUrl: string,
  doFetch: typeof fetch = fetch,
): Promise<RuntimeIdentity> {
  const res = await reach(doFetch, base(runtimeUrl) + '/v1/identity');
  if (!res.ok) throw await errorFromResponse(res);
  return RuntimeIdentitySchema.parse(await res.json());
}

/**
 * Runtime half of pairing: hand the runtime the server's public keys and the allowed browser
 * origins, authorised by the runtime's `SPIN_TOKEN` — plus, for a runtime that is already
 * paired, a pairing grant from the server it is paired with.
 */
export async function pairWithRuntime(opts: {
  runtimeUrl: string;
  spinToken: string;
  server: { issuer: string; jwks: Jwks };
  allowedOrigins: string[];
  grant?: string | undefined;
  fetch?: typeof fetch;
}): Promise<RuntimeIdentity> {
  const res = await reach(opts.fetch ?? fetch, base(opts.runtimeUrl) + '/v1/pair', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.spinToken}` },
    body: JSON.stringify({
      server: opts.server,
      allowedOrigins: opts.allowedOrigins,
      ...(opts.grant ? { grant: opts.grant } : {}),
    }),
  });
  if (!res.ok) throw await errorFromResponse(res);
  return RuntimeIdentitySchema.parse(await res.json());
}

/** What pairing would do, found without changing anything. */
export interface PairingPlan {
  runtimeUrl: string;
  /** The runtime's identity now (its fingerprint is the "new" one). */
  identity: RuntimeIdentity;
  /** The registration a re-pair would replace ("old" fingerprint and URL), or null. */
  registered: Runtime | null;
}

/**
 * Step 1: read the runtime's identity, refuse it if its fingerprint is not
 * `expectedFingerprint` (`client.fingerprint_mismatch`, before any pairing request), and look
 * up whether the server already knows it.
 */
export async function inspectRuntime(opts: {
  api: ServerApi;
  runtimeUrl: string;
  expectedFingerprint?: string | undefined;
  fetch?: typeof fetch;
}): Promise<PairingPlan> {
  const identity = await fetchRuntimeIdentity(opts.runtimeUrl, opts.fetch);
  if (opts.expectedFingerprint && identity.fingerprint !== opts.expectedFingerprint) {
    throw new ApiError(
      'client.fingerprint_mismatch',
      `the runtime at ${opts.runtimeUrl} has fingerprint ${identity.fingerprint}, not the expected ${opts.expectedFingerprint}; it was not paired`,
    );
  }
  const registered =
    (await opts.api.listRuntimes()).find((r) => r.id === identity.runtimeId) ?? null;
  return { runtimeUrl: base(opts.runtimeUrl), identity, registered };
}

/** Result of {@link completePairing}. */
export interface PairingResult {
  runtime: Runtime;
  /** For a re-pair: the fingerprint it replaced. */
  previousFingerprint: string | null;
}

/**
 * Step 2: pair the runtime of `plan` and register it (or, when `plan.registered`, re-pair it,
 * stating the old fingerprint the user saw). A runtime answering with another identity than
 * the inspected one is not registered (`client.fingerprint_mismatch`).
 */
export async function completePairing(opts: {
  api: ServerApi;
  plan: PairingPlan;
  spinToken: string;
  name: string;
  allowedOrigins: string[];
  workspaceId?: string | undefined;
  fetch?: typeof fetch;
}): Promise<PairingResult> {
  const { api, plan } = opts;
  const [info, jwks] = await Promise.all([api.serverInfo(), api.jwks()]);
  const grant =
    plan.identity.paired && plan.registered
      ? (await api.pairGrant(plan.identity.runtimeId, { allowedOrigins: opts.allowedOrigins }))
          .grant
      : undefined;
  const identity = await pairWithRuntime({
    runtimeUrl: plan.runtimeUrl,
    spinToken: opts.spinToken,
    server: { issuer: info.issuer, jwks },
    allowedOrigins: opts.allowedOrigins,
    grant,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  if (
    identity.fingerprint !== plan.identity.fingerprint ||
    identity.runtimeId !== plan.identity.runtimeId
  ) {
    throw new ApiError(
      'client.fingerprint_mismatch',
      'the runtime answered pairing with another identity than it showed; it was not registered',
    );
  }
  if (plan.registered) {
    const repaired = await api.repairRuntime(identity.runtimeId, {
      expectedFingerprint: plan.registered.fingerprint,
      identity,
      url: plan.runtimeUrl,
      name: opts.name,
    });
    return { runtime: repaired.runtime, previousFingerprint: repaired.previousFingerprint };
  }
  const runtime = await api.registerRuntime({
    name: opts.name,
    url: plan.runtimeUrl,
    identity,
    ...(opts.workspaceId ? { workspaceId: opts.workspaceId } : {}),
  });
  return { runtime, previousFingerprint: null };
}

/**
 * Both steps at once, for scripts. A runtime that is already registered is re-paired only when
 * `confirmRepair(plan)` says so (else `client.repair_unconfirmed`, nothing changed).
 */
export async function pairRuntime(opts: {
  api: ServerApi;
  runtimeUrl: string;
  spinToken: string;
  name: string;
  allowedOrigins: string[];
  expectedFingerprint?: string;
  workspaceId?: string;
  confirmRepair?: (plan: PairingPlan) => boolean | Promise<boolean>;
  fetch?: typeof fetch;
}): Promise<PairingResult> {
  const plan = await inspectRuntime(opts);
  if (plan.registered && !(await opts.confirmRepair?.(plan))) {
    throw new ApiError(
      'client.repair_unconfirmed',
      `runtime ${plan.registered.name} is already registered (fingerprint ${plan.registered.fingerprint}); re-pairing to ${plan.identity.fingerprint} needs confirmation`,
    );
  }
  return completePairing({ ...opts, plan });
}
