import { JwksSchema, SPIN_VERSION, ServerInfoSchema, SpinError } from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sameSecret } from '../security/sameSecret.js';
import { ErrorResponseSchema, type RouteContext } from './routeContext.js';

/** Fixed endpoints (DESIGN.md §5): health, OpenAPI, metrics, JWKS, server info. */
export const systemRoutes: FastifyPluginAsyncZod<RouteContext> = async (
  app,
  { services, config, metrics },
) => {
  const tags = ['system'];

  app.get(
    '/healthz',
    {
      schema: {
        tags,
        response: { 200: z.object({ status: z.literal('ok') }), 503: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      try {
        await services.database.ping();
      } catch (err) {
        request.log.error({ err }, 'health check: database unreachable');
        return reply
          .code(503)
          .send({ error: { code: 'internal.error', message: 'database is unreachable' } });
      }
      return { status: 'ok' as const };
    },
  );

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Not public: metrics name routes, counts and error codes. Off unless SPIN_METRICS_TOKEN is
  // set; then Prometheus sends it as a bearer token.
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!config.metricsToken) {
      throw new SpinError('metrics.disabled', 'metrics are off; set SPIN_METRICS_TOKEN to enable');
    }
    const sent = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (sent === undefined) {
      throw new SpinError('auth.token_missing', 'send Authorization: Bearer $SPIN_METRICS_TOKEN');
    }
    if (!sameSecret(sent, config.metricsToken)) {
      throw new SpinError('auth.token_invalid', 'the metrics token is wrong');
    }
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });

  app.get(
    '/.well-known/jwks.json',
    { schema: { tags, response: { 200: JwksSchema } } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return services.keys.jwks();
    },
  );

  app.get(
    '/api/v1/server',
    { schema: { tags, response: { 200: ServerInfoSchema } } },
    async () => ({ issuer: config.publicUrl, version: SPIN_VERSION }),
  );

  // Anything else under /api answers with the JSON 404 (never the SPA page).
  app.all('/api/*', { schema: { hide: true } }, async () => {
    throw new SpinError('request.not_found', 'no such API route');
  });
};
