import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { SpinError } from '@spin/protocol';
import { errorResponse } from '../errors.js';

/** Largest JSON body the runtime accepts over HTTP (pairing requests are a few KB). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Send a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** Send any thrown value as `{ error: { code, message } }` with its status. */
export function sendError(res: ServerResponse, err: unknown): void {
  const { status, body } = errorResponse(err);
  sendJson(res, status, body);
}

/** Refuse a WebSocket upgrade with a plain HTTP error response on the raw socket. */
export function refuseUpgrade(socket: Duplex, err: SpinError, status = err.status): void {
  const body = JSON.stringify({ error: { code: err.code, message: err.message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'connection: close\r\ncontent-type: application/json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Read and parse a JSON body with a size limit (`request.too_large`, `request.malformed_json`). */
export async function readJson(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new SpinError('request.too_large', `body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new SpinError('request.malformed_json', 'request body is not valid JSON');
  }
}

/** The token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1] ?? '';
}
