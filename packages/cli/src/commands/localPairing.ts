import { pairWithRuntime } from '@spin/client';
import type { Jwks } from '@spin/protocol';
import type { RuntimeHandle } from '@spin/runtime';
import { SYSTEM_ACTOR, type StartedServer } from '@spin/server';

/**
 * Pair `spin start`'s own runtime with its own server, on every start (a moved port or a new
 * key never leaves a stale registration). Both tiers run in this process for one operator, so
 * the steps an admin takes in the UI are taken through the server's services directly:
 *
 * - the runtime still learns the server's keys over `POST /v1/pair` with its SPIN_TOKEN;
 * - once paired, that needs a pairing grant signed by the server key the runtime trusts, minted
 *   here by the server's services for the system actor;
 * - when the runtime trusts a key this server does not hold (`.spin/server` was wiped but
 *   `.spin/runtime` kept), no grant can exist: the operator owns both halves, so the local
 *   pairing is reset in-process and the runtime is paired afresh;
 * - the server registers the runtime in the default workspace, or re-pairs it (audited, with
 *   old and new fingerprints) when its keys or URL changed.
 */
export async function pairLocalRuntime(opts: {
  server: StartedServer;
  runtime: RuntimeHandle;
  issuer: string;
  jwks: Jwks;
  allowedOrigins: string[];
  /** The URL registered for browsers (`http://localhost:<port>`). */
  runtimeUrl: string;
  /** How to reach the runtime (a fetch that trusts its certificate under TLS). */
  fetch?: typeof fetch | undefined;
}): Promise<void> {
  const { server, runtime, issuer, jwks, allowedOrigins, runtimeUrl } = opts;
  const { runtimes, keys, notebooks } = server.services;
  const registered = await runtimes.find(runtime.identity.runtimeId);
  let grant: string | undefined;
  const current = runtime.pairing;
  if (current) {
    const activeKid = keys.signingKey().kid;
    const trustsThisServer = current.jwks.keys.some((k) => k.kid === activeKid);
    if (registered && trustsThisServer) {
      const server2 = { issuer, jwks };
      grant = (
        await runtimes.issuePairGrant(SYSTEM_ACTOR, registered, { allowedOrigins, server: server2 })
      ).grant;
    } else {
      runtime.resetPairing();
    }
  }
  const identity = await pairWithRuntime({
    runtimeUrl: runtime.url,
    spinToken: runtime.spinToken,
    server: { issuer, jwks },
    allowedOrigins,
    grant,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  if (!registered) {
    const workspaceId = await notebooks.ensureDefaultWorkspace();
    await runtimes.register(SYSTEM_ACTOR, {
      workspaceId,
      name: 'local',
      url: runtimeUrl,
      identity,
    });
  } else if (registered.fingerprint !== identity.fingerprint || registered.url !== runtimeUrl) {
    await runtimes.repair(SYSTEM_ACTOR, registered, {
      expectedFingerprint: registered.fingerprint,
      identity,
      url: runtimeUrl,
    });
  }
}
