import { SESSION_COOKIE, SpinError } from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OIDC_LOGIN_TTL_MS } from '../services/oidcService.js';
import { describeRoute } from '../openapi/describeRoute.js';
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
  const sso = () => {
    if (!services.oidc)
      throw new SpinError('sso.not_configured', 'single sign-on is not configured');
    return services.oidc;
  };

  app.get(
    '/auth/oidc/login',
    {
      schema: {
        ...describeRoute({
          operationId: 'startOidcLogin',
          summary: 'Start single sign-on: redirect to the OpenID Connect provider',
          description: 'Authorization code flow with PKCE; open it in the browser, not by fetch.',
          tags: ['auth'],
          auth: 'none',
          errors: ['sso.not_configured', 'sso.provider_unavailable'],
          success: {
            status: 302,
            description: 'To the provider’s authorization endpoint',
            headers: {
              location: {
                description: 'The provider’s authorization URL',
                schema: { type: 'string' },
              },
            },
          },
        }),
        querystring: z.object({ returnTo: ReturnToSchema }),
      },
    },
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
        ...describeRoute({
          operationId: 'finishOidcLogin',
          summary: 'Single sign-on callback: sign in and redirect back to `returnTo`',
          description: 'The provider redirects the browser here; sets the session cookie.',
          tags: ['auth'],
          auth: 'none',
          errors: [
            'sso.not_configured',
            'sso.state_mismatch',
            'sso.code_rejected',
            'sso.id_token_invalid',
            'sso.email_missing',
            'sso.provider_unavailable',
          ],
          success: {
            status: 302,
            description: 'Signed in: to the path the sign-on started from',
            headers: {
              location: { description: 'A path on this server', schema: { type: 'string' } },
            },
          },
        }),
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
