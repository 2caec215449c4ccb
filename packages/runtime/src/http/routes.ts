import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PairRequestSchema, SpinError } from '@spin/protocol';
import { serveBlob } from '../blobs/blobRoute.js';
import type { RuntimeContext } from '../runtimeContext.js';
import { publicIdentity } from '../security/identity.js';
import { allowOrigin, answerPreflight, applyCors } from './cors.js';
import { bearerToken, readJson, sendError, sendJson } from './httpIo.js';
import { runtimeOpenApiDocument } from './openapi.js';

/** Constant-time comparison of two secrets of any length (compares their SHA-256). */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * `POST /v1/pair`. The token is checked before the body is read or validated, so a caller
 * without SPIN_TOKEN learns nothing (401, never 400). A paired runtime also needs a pairing
 * grant from its server (see PairingStore.authorizeRepair).
 */
async function pair(ctx: RuntimeContext, req: IncomingMessage, res: ServerResponse) {
  const token = bearerToken(req);
  if (token === undefined) throw new SpinError('auth.token_missing', 'pairing needs SPIN_TOKEN');
  if (!secretsEqual(token, ctx.config.spinToken)) {
    ctx.metrics.envelopeRejections.inc({ code: 'auth.token_invalid' });
    ctx.logger.warn({ code: 'auth.token_invalid' }, 'pairing refused');
    throw new SpinError('auth.token_invalid', 'SPIN_TOKEN is wrong');
  }
  const parsed = PairRequestSchema.safeParse(await readJson(req));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SpinError(
      'request.invalid',
      `invalid pairing request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  const repairing = ctx.pairing.paired;
  let p;
  try {
    p = await ctx.pairing.pairChecked(parsed.data, ctx.keys.runtimeId, ctx.replay);
  } catch (err) {
    if (err instanceof SpinError) {
      ctx.logger.warn({ code: err.code, reason: err.message }, 'pairing refused');
    }
    throw err;
  }
  ctx.logger.info(
    { issuer: p.issuer, allowedOrigins: p.allowedOrigins, repaired: repairing },
    repairing ? 'runtime re-paired (pairing grant accepted)' : 'runtime paired',
  );
  sendJson(res, 200, publicIdentity(ctx.keys, true));
}

/**
 * `GET /metrics`: off unless SPIN_METRICS_TOKEN is set (404 `metrics.disabled`); then the
 * token is required as a bearer token (401).
 */
async function metrics(ctx: RuntimeContext, req: IncomingMessage, res: ServerResponse) {
  const expected = ctx.config.metricsToken;
  if (!expected) {
    throw new SpinError('metrics.disabled', 'metrics are off; set SPIN_METRICS_TOKEN to enable');
  }
  const sent = bearerToken(req);
  if (sent === undefined) {
    throw new SpinError('auth.token_missing', 'send Authorization: Bearer $SPIN_METRICS_TOKEN');
  }
  if (!secretsEqual(sent, expected)) {
    throw new SpinError('auth.token_invalid', 'the metrics token is wrong');
  }
  const text = await ctx.metrics.registry.metrics();
  res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType }).end(text);
}

/** One HTTP endpoint: `path` is an OpenAPI path template; `params` its values in order. */
interface RuntimeRoute {
  method: string;
  path: string;
  handle(ctx: RuntimeContext, req: IncomingMessage, res: ServerResponse, params: string[]): unknown;
}

/**
 * Every HTTP endpoint of the runtime. Each is described in openapi.ts (RUNTIME_OPERATIONS);
 * runtime/test/openapi.test.ts fails when the two lists differ.
 */
export const RUNTIME_ROUTES: readonly RuntimeRoute[] = [
  {
    method: 'GET',
    path: '/healthz',
    handle: (ctx, _req, res) =>
      sendJson(res, 200, {
        status: 'ok',
        runtimeId: ctx.keys.runtimeId,
        paired: ctx.pairing.paired,
      }),
  },
  { method: 'GET', path: '/metrics', handle: metrics },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    handle: (_ctx, _req, res) => sendJson(res, 200, runtimeOpenApiDocument()),
  },
  {
    method: 'GET',
    path: '/v1/identity',
    handle: (ctx, _req, res) =>
      sendJson(res, 200, publicIdentity(ctx.keys, ctx.pairing.paired, ctx.kernels.announced())),
  },
  { method: 'POST', path: '/v1/pair', handle: pair },
  {
    method: 'GET',
    path: '/v1/blobs/{id}',
    handle: (ctx, req, res, [id]) => serveBlob(ctx, req, res, decodeURIComponent(id ?? '')),
  },
];

/** `{name}` matches the rest of its segment — for the last one, the rest of the path. */
const MATCHERS = RUNTIME_ROUTES.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}$/, '(.*)').replace(/\{\w+\}/g, '([^/]+)')}$`),
}));

/**
 * The runtime's HTTP endpoints (DESIGN.md §5, {@link RUNTIME_ROUTES}): `/healthz`, `/metrics`,
 * `/v1/identity`, `/v1/pair`, `/v1/blobs/:id`, `/v1/openapi.json`. Errors use the
 * `{ error: { code, message } }` shape.
 */
export async function handleRequest(
  ctx: RuntimeContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://runtime').pathname;
  try {
    if (req.method === 'OPTIONS') {
      answerPreflight(req, res, ctx.pairing, path);
      return;
    }
    // /v1/pair answers any origin, refusals included: the token is the protection, not the
    // origin, and a browser must be able to read why pairing failed (wrong token, bad body).
    // /v1/identity too: it is public keys only, and a UI compares the fingerprint *before* it
    // sends a pairing request, when its origin is not allowed yet.
    if (path === '/v1/pair' || path === '/v1/identity') allowOrigin(req, res);
    else applyCors(req, res, ctx.pairing);
    for (const { route, pattern } of MATCHERS) {
      const match = req.method === route.method ? pattern.exec(path) : null;
      if (match) {
        await route.handle(ctx, req, res, match.slice(1));
        return;
      }
    }
    throw new SpinError('request.not_found', `no route ${req.method ?? ''} ${path}`);
  } catch (err) {
    if (!(err instanceof SpinError)) ctx.logger.error({ err, path }, 'request failed');
    // a body we stopped reading leaves the connection unusable: tell the client not to reuse it
    if (err instanceof SpinError && err.code === 'request.too_large') {
      res.setHeader('connection', 'close');
    }
    if (!res.headersSent) sendError(res, err);
    else res.destroy();
  }
}
