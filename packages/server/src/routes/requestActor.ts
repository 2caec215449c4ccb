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
}

/**
 * The signed-in user of a request (API token or cookie session), or null. Its own module (not
 * app.ts), so route files do not import the app that registers them: `import-x/no-cycle` holds.
 */
export function actorOf(request: FastifyRequest): UserActor | null {
  return request.tokenActor ?? request.session?.actor ?? null;
}
