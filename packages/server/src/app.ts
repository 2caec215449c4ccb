import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import {
  CSRF_HEADER,
  jsonTextDepth,
  MAX_BODY_DEPTH,
  SESSION_COOKIE,
  SpinError,
} from '@spin/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { ServerConfig } from './config.js';
import { handleError } from './errors.js';
import { CSRF_EXEMPT, UNSAFE_METHODS } from './openapi/describeRoute.js';
import { swaggerOptions } from './openapi/openapiDocument.js';
import type { Metrics } from './metrics.js';
import { sameSecret } from './security/sameSecret.js';
import { authRoutes } from './routes/authRoutes.js';
import { memberRoutes } from './routes/memberRoutes.js';
import { auditRoutes } from './routes/auditRoutes.js';
import { ipynbRoutes } from './routes/ipynbRoutes.js';
import { notebookOpsRoutes } from './routes/notebookOpsRoutes.js';
import { notebookRoutes } from './routes/notebookRoutes.js';
import { templateVariableRoutes } from './routes/templateVariableRoutes.js';
import { runtimeRoutes } from './routes/runtimeRoutes.js';
import { sessionRoutes } from './routes/sessionRoutes.js';
import { sessionOwnershipRoutes } from './routes/sessionOwnershipRoutes.js';
import { systemRoutes } from './routes/systemRoutes.js';
import { workspaceRoutes } from './routes/workspaceRoutes.js';
import { tokenRoutes } from './routes/tokenRoutes.js';
import { oidcRoutes } from './routes/oidcRoutes.js';
import { connectionRoutes } from './routes/connectionRoutes.js';
import { secretRoutes } from './routes/secretRoutes.js';
import { registerWebUi } from './routes/webUiRoutes.js';
import type { Services } from './services/container.js';

/**
 * The signed-in user of a request. Kept here so existing imports still compile; route files
 * import it from `routes/requestActor.js` (importing app.ts from a route is an import cycle).
 */
export { actorOf } from './routes/requestActor.js';

/** Largest accepted request body (receipts carry up to the 10 MiB output budget). */
export const BODY_LIMIT = 32 * 1024 * 1024;

const STATE_CHANGING = UNSAFE_METHODS;

/** A registered route, as Fastify's `onRoute` reports it: method, URL pattern and schemas. */
export interface RouteInfo {
  method: string;
  url: string;
  /** The route's zod schemas (`body`, `params`, `querystring`, `response`), if any. */
  schema: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Parse a JSON body. Its nesting depth is checked first, by a linear scan, so a 10,000-deep
 * body is a 400 `request.too_deep` before anything recursive (validation, canonical JSON,
 * serialisation) touches it.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  if (jsonTextDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
    throw new SpinError(
      'request.too_deep',
      `request body is nested deeper than ${MAX_BODY_DEPTH} levels`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SpinError('request.malformed_json', 'request body is not valid JSON');
  }
}

/**
 * Answer a request Node's HTTP parser refused (bad request line, NUL in a header, headers too
 * large) in the one error shape, then close the connection.
 */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy(err);
    return;
  }
  const spin =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new SpinError('request.too_large', 'request headers are too large')
      : new SpinError('request.invalid', 'the HTTP request is malformed');
  const body = JSON.stringify(spin.toJSON());
  socket.end(
    `HTTP/1.1 ${spin.status} ${STATUS_CODES[spin.status] ?? ''}\r\n` +
      'connection: close\r\ncontent-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Everything an app instance needs. */
/** A PEM file of the HTTPS listener, or an Error naming it. */
function readTlsFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(
      `invalid server configuration: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
}

export interface AppContext {
  config: ServerConfig;
  services: Services;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Build the Fastify app (routes, hooks, error handling) without listening. `routes` lists
 * every route as it is registered (tests walk it: a new route is covered automatically).
 */
export async function buildApp(
  ctx: AppContext,
): Promise<{ app: FastifyInstance; routes: readonly RouteInfo[] }> {
  const { services, metrics } = ctx;
  const app = Fastify({
    ...(ctx.config.tlsCert && ctx.config.tlsKey
      ? { https: { cert: readTlsFile(ctx.config.tlsCert), key: readTlsFile(ctx.config.tlsKey) } }
      : {}),
    loggerInstance: ctx.logger,
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
    clientErrorHandler: answerClientError,
    // FST_ERR_BAD_URL (bad percent-encoding) and constraint errors skip the error handler
    // unless routed here.
    frameworkErrors: (err, request, reply) => handleError(err, request, reply),
  }) as unknown as FastifyInstance;

  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, schema });
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);

  // JSON only: no text/plain or form parsers, so a cross-site form post cannot reach a route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (err) {
      done(err as Error);
    }
  });

  await app.register(fastifyCookie);
  await app.register(fastifySwagger, swaggerOptions);

  app.decorateRequest('session', null);
  app.decorateRequest('tokenActor', null);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    // A bearer request is an API token and nothing else: the cookie is ignored, and no CSRF
    // token is needed (a browser never attaches an Authorization header cross-site by itself).
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (bearer !== undefined) {
      request.tokenActor = await services.apiTokens.resolve(bearer.trim());
      return;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    request.session = request.routeOptions.config.sessionCheckedByAuthorize
      ? await services.auth.resolveUnverified(cookie)
      : await services.auth.resolve(cookie);
    if (!request.session || !STATE_CHANGING.has(request.method)) return;
    if (CSRF_EXEMPT.has(request.url.split('?')[0] ?? '')) return;
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameSecret(sent, request.session.csrfToken)) {
      throw new SpinError('auth.csrf_failed', `missing or wrong ${CSRF_HEADER} header`);
    }
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      reply.header(
        'content-security-policy',
        [
          "default-src 'self'",
          "script-src 'self'",
          "style-src 'self' 'unsafe-inline'",
          "img-src 'self' data: blob:",
          "font-src 'self' data:",
          // The browser talks to the customer's runtime directly (DESIGN.md §1).
          "connect-src 'self' http: https: ws: wss:",
          "object-src 'none'",
          "base-uri 'self'",
          "form-action 'self'",
          "frame-ancestors 'none'",
        ].join('; '),
      );
      reply.header('x-frame-options', 'DENY');
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });

  // Every route's schema starts with `...describeRoute({ operationId, summary, tags, errors })`
  // (openapi/describeRoute.ts): it names the operation, its security and every error code it
  // can answer with, for GET /api/v1/openapi.json. test/openapi.test.ts walks the registered
  // routes and fails for one without it, or with a code that is not in protocol errors.ts.
  const opts = { services, config: ctx.config, metrics };
  await app.register(systemRoutes, opts);
  await app.register(authRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(notebookRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(templateVariableRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(runtimeRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(sessionRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(sessionOwnershipRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(auditRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(memberRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(workspaceRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(ipynbRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(notebookOpsRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(tokenRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(oidcRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(connectionRoutes, { ...opts, prefix: '/api/v1' });
  await app.register(secretRoutes, { ...opts, prefix: '/api/v1' });
  await registerWebUi(app, ctx.config.webDir);
  return { app, routes };
}
