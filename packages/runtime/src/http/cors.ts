import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PairingStore } from '../security/pairing.js';

/**
 * CORS for browsers that reach the runtime cross-origin from the server's web UI
 * (DESIGN.md §5). Only paired or configured origins get `Access-Control-Allow-Origin`; the
 * exceptions are `/v1/pair`, which happens before origins are known and is protected by
 * SPIN_TOKEN instead, and the public `/v1/identity` (see routes.ts).
 */
const ALLOW_HEADERS = 'authorization, content-type';

/** Echo the request's Origin as allowed (adds `Vary: Origin`). */
export function allowOrigin(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (!origin) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'Origin');
}

/** Set CORS headers on a normal response when its Origin is allowed. */
export function applyCors(req: IncomingMessage, res: ServerResponse, pairing: PairingStore): void {
  const origin = req.headers.origin;
  if (origin && pairing.isOriginAllowed(origin)) allowOrigin(req, res);
}

/** Answer a preflight; returns the status sent. */
export function answerPreflight(
  req: IncomingMessage,
  res: ServerResponse,
  pairing: PairingStore,
  path: string,
): number {
  const origin = req.headers.origin;
  const anyOrigin = path === '/v1/pair';
  if (!origin || (!anyOrigin && !pairing.isOriginAllowed(origin))) {
    res.writeHead(403, { vary: 'Origin' }).end();
    return 403;
  }
  allowOrigin(req, res);
  res.setHeader('access-control-allow-methods', anyOrigin ? 'POST, OPTIONS' : 'GET, OPTIONS');
  res.setHeader('access-control-allow-headers', ALLOW_HEADERS);
  res.setHeader('access-control-max-age', '600');
  res.writeHead(204).end();
  return 204;
}
