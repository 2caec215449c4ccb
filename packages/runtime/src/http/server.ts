import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { WebSocketServer } from 'ws';
import { RUNTIME_SUBPROTOCOL, SpinError } from '@spin/protocol';
import type { RuntimeContext } from '../runtimeContext.js';
import { refuseUpgrade } from './httpIo.js';
import { handleRequest } from './routes.js';
import type { RuntimeTls } from './tls.js';
import { MAX_MESSAGE_BYTES, WsConnection } from './wsConnection.js';

/** The WebSocket endpoint (described as operation `connectRuntimeSocket` in openapi.ts). */
export const WS_PATH = '/v1/ws';

/** ws reads frames up to this size, so oversize messages get an error instead of a close. */
const WS_MAX_PAYLOAD = 2 * MAX_MESSAGE_BYTES;

/**
 * The runtime's HTTP server (node:http) with the WebSocket endpoint `GET /v1/ws` (`ws`).
 * The upgrade is refused with 400 without subprotocol `spin.runtime.v1` and with 403 for a
 * browser Origin that is not allowed; non-browser clients send no Origin. With `tls` it serves
 * HTTPS and `wss://` (node:https), with the same handlers.
 */
export function createRuntimeServer(
  ctx: RuntimeContext,
  tls: RuntimeTls | null = null,
): {
  server: Server;
  wss: WebSocketServer;
} {
  const handler = (
    req: Parameters<typeof handleRequest>[1],
    res: Parameters<typeof handleRequest>[2],
  ) => {
    void handleRequest(ctx, req, res);
  };
  const server: Server = tls ? createTlsServer(tls.options, handler) : createServer(handler);
  if (tls?.mutual) {
    server.on('tlsClientError', (err) => {
      ctx.metrics.envelopeRejections.inc({ code: 'auth.client_certificate_required' });
      ctx.logger.warn(
        { code: 'auth.client_certificate_required', reason: err.message },
        'TLS client refused',
      );
    });
  }
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: WS_MAX_PAYLOAD,
    perMessageDeflate: false,
    handleProtocols: (protocols) =>
      protocols.has(RUNTIME_SUBPROTOCOL) ? RUNTIME_SUBPROTOCOL : false,
  });
  server.on('connection', (socket) => socket.setNoDelay(true));
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://runtime').pathname;
    if (path !== WS_PATH) {
      refuseUpgrade(socket, new SpinError('request.not_found', `no WebSocket at ${path}`));
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    if (!offered.includes(RUNTIME_SUBPROTOCOL)) {
      refuseUpgrade(
        socket,
        new SpinError(
          'request.invalid',
          `WebSocket subprotocol ${RUNTIME_SUBPROTOCOL} is required`,
        ),
      );
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !ctx.pairing.isOriginAllowed(origin)) {
      ctx.metrics.envelopeRejections.inc({ code: 'auth.origin_not_allowed' });
      ctx.logger.warn({ origin, code: 'auth.origin_not_allowed' }, 'websocket origin refused');
      refuseUpgrade(socket, new SpinError('auth.origin_not_allowed', 'origin is not allowed'));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      new WsConnection(ws, ctx);
    });
  });
  return { server, wss };
}
