import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { SpinError } from '@spin/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Shown at `/` when packages/web has not been built. */
export const UI_NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPIN</title></head>
<body><h1>SPIN</h1><p>The web UI was not built. Run <code>npm run build</code> (or set
<code>SPIN_WEB_DIR</code>) and restart the server. The API is available under
<code>/api/v1</code>.</p></body></html>
`;

/** Non-API GETs of paths without a file extension get the SPA's index.html. */
function wantsSpaPage(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '/';
  if (path.startsWith('/api/') || path === '/api' || path.startsWith('/.well-known/')) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
}

/**
 * Serve the built web UI from `webDir` with an SPA fallback; other unknown routes answer
 * 404 `request.not_found`.
 */
export async function registerWebUi(app: FastifyInstance, webDir: string): Promise<void> {
  const built = existsSync(join(webDir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false, index: false });
  }
  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    if (wantsSpaPage(request)) {
      if (built) return reply.type('text/html; charset=utf-8').sendFile('index.html');
      return reply.type('text/html; charset=utf-8').send(UI_NOT_BUILT_HTML);
    }
    throw new SpinError(
      'request.not_found',
      `no route ${request.method} ${request.url.split('?')[0]}`,
    );
  };
  app.setNotFoundHandler(notFound);
}
