import { JwksSchema, SPIN_VERSION, ServerInfoSchema, SpinError } from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sameSecret } from '../security/sameSecret.js';
import { describeRoute } from '../openapi/describeRoute.js';
import { ErrorResponseSchema, type RouteContext } from './routeContext.js';

/** Fixed endpoints (DESIGN.md §5): health, OpenAPI, metrics, JWKS, server info. */
export const systemRoutes: FastifyPluginAsyncZod<RouteContext> = async (
  app,
  { services, config, metrics },
) => {
  app.get(
    '/healthz',
    {
      schema: {
        ...describeRoute({
          operationId: 'getHealth',
          summary: 'Liveness and database reachability',
          description: '503 with `internal.error` while the database is unreachable.',
          tags: ['system'],
          auth: 'none',
          errors: [],
        }),
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

  app.get(
    '/api/v1/openapi.json',
    {
      schema: describeRoute({
        operationId: 'getOpenApiDocument',
        summary: 'This OpenAPI 3.0 document',
        tags: ['system'],
        auth: 'none',
        errors: [],
        success: {
          status: 200,
          description: 'The OpenAPI document',
          contentType: 'application/json',
          schema: { type: 'object', additionalProperties: true },
        },
      }),
    },
    async () => app.swagger(),
  );

  // Not public: metrics name routes, counts and error codes. Off unless SPIN_METRICS_TOKEN is
  // set; then Prometheus sends it as a bearer token.
  const metricsDoc = describeRoute({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (off unless SPIN_METRICS_TOKEN is set)',
    tags: ['system'],
    auth: 'metricsToken',
    errors: ['metrics.disabled'],
    success: {
      status: 200,
      description: 'Prometheus text exposition format',
      contentType: 'text/plain',
    },
  });
  app.get('/metrics', { schema: metricsDoc }, async (request, reply) => {
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
    {
      schema: {
        ...describeRoute({
          operationId: 'getServerJwks',
          summary: 'The server’s public signing keys (programs, access tokens, grants)',
          tags: ['system'],
          auth: 'none',
          errors: [],
        }),
        response: { 200: JwksSchema },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return services.keys.jwks();
    },
  );

  app.get(
    '/api/v1/server',
    {
      schema: {
        ...describeRoute({
          operationId: 'getServerInfo',
          summary: 'The server’s issuer URL and version',
          tags: ['system'],
          auth: 'none',
          errors: [],
        }),
        response: { 200: ServerInfoSchema },
      },
    },
    async () => ({ issuer: config.publicUrl, version: SPIN_VERSION }),
  );

  // Anything else under /api answers with the JSON 404 (never the SPA page).
  app.all('/api/*', { schema: { hide: true } }, async () => {
    throw new SpinError('request.not_found', 'no such API route');
  });
};
