import WebSocket from 'ws';
import { ServerApi, type WebSocketCtor } from '@spin/client';
import { nodeFetch } from './nodeFetch.js';

export { nodeFetch } from './nodeFetch.js';

/** `ws` as a WHATWG-style WebSocket constructor for Node (sets TCP_NODELAY itself). */
export const NodeWebSocket = WebSocket as unknown as WebSocketCtor;

/**
 * A server API client for Node: keeps the session cookie in memory, or — with `apiToken` —
 * authenticates every request with that API token (agents, scripts, oneshot runs). Requests go
 * through {@link nodeFetch}.
 */
export function createNodeApi(baseUrl: string, opts: { apiToken?: string } = {}): ServerApi {
  return new ServerApi({ baseUrl, manageCookies: true, fetch: nodeFetch, ...opts });
}
