import { SESSION_COOKIE, SpinError } from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OIDC_LOGIN_TTL_MS } from '../services/oidcService.js';
import type { RouteContext } from './routeContext.js';

/** Cookie that ties an OpenID Connect callback to the browser that started the sign-on. */
export const OIDC_COOKIE = 'spin_oidc';
const COOKIE_PATH = '/api/v1/auth/oidc';

/** Only same-site paths (never `//host` or a scheme): an open redirect would leak the session. */
const ReturnToSchema = z
  .string()
  .max(2000)
  .regex(/^\/(?![/\\])[^\s]*$/, 'must be a path on this server')
  .default('/');

/** OpenID Connect sign-on: start (redirect to the IdP) and callback (redirect back signed in). */
export const oidcRoutes: FastifyPluginAsyncZod<RouteContext> = async (
  app,
  { services, config },
) => {
  const secure = config.publicUrl.startsWith('https:');
  const tags = ['auth'];
  const sso = () => {
    if (!services.oidc)
      throw new SpinError('sso.not_configured', 'single sign-on is not configured');
    return services.oidc;
  };

  app.get(
    '/auth/oidc/login',
    { schema: { tags, querystring: z.object({ returnTo: ReturnToSchema }) } },
    async (request, reply) => {
      const started = await sso().start(request.query.returnTo);
      reply.setCookie(OIDC_COOKIE, started.cookieValue, {
        httpOnly: true,
        // Lax: the IdP's redirect back is a top-level GET, which carries Lax cookies.
        sameSite: 'lax',
        path: COOKIE_PATH,
        secure,
        maxAge: OIDC_LOGIN_TTL_MS / 1000,
      });
      return reply.redirect(started.authorizationUrl, 302);
    },
  );

  app.get(
    '/auth/oidc/callback',
    {
      schema: {
        tags,
        querystring: z
          .object({
            code: z.string().max(4096).optional(),
            state: z.string().max(1024).optional(),
            error: z.string().max(256).optional(),
          })
          .passthrough(),
      },
    },
    async (request, reply) => {
      const query = new URL(request.url, 'http://callback').searchParams;
      reply.clearCookie(OIDC_COOKIE, { path: COOKIE_PATH });
      const { session, returnTo } = await sso().finish(request.cookies[OIDC_COOKIE], query);
      reply.setCookie(SESSION_COOKIE, session.cookieToken, {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure,
        expires: session.expiresAt,
      });
      return reply.redirect(returnTo, 302);
    },
  );
};
