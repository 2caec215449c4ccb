import type { FastifyRequest } from 'fastify';
import type { UserActor } from '../policies/actor.js';
import type { ResolvedSession } from '../services/authService.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The cookie session, resolved before the handler runs (null when anonymous). */
    session: ResolvedSession | null;
    /** The API-token actor of an `Authorization: Bearer` request (null otherwise). */
    tokenActor: UserActor | null;
  }
  interface FastifyContextConfig {
    /**
     * The route decides everything through `authorize()` on a resource whose read carries the
     * authorization epoch (a compile, a receipt), before it uses the actor for anything else:
     * its cookie session may then come from the cache unread (`UserActor.unverified`), and the
     * authorizer confirms it with the read it makes anyway.
     */
    sessionCheckedByAuthorize?: boolean;
  }
}

/**
 * The signed-in user of a request (API token or cookie session), or null. Its own module (not
 * app.ts), so route files do not import the app that registers them: `import-x/no-cycle` holds.
 */
export function actorOf(request: FastifyRequest): UserActor | null {
  return request.tokenActor ?? request.session?.actor ?? null;
}
