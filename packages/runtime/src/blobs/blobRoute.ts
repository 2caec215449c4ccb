import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import parseRange from 'range-parser';
import {
  BLOB_HEADERS,
  BLOB_PAGE_MAX_BYTES,
  BlobLineQuerySchema,
  SpinError,
  type BlobLinePage,
} from '@spin/protocol';
import type { RuntimeContext } from '../runtimeContext.js';
import { verifySessionToken } from '../security/accessTokens.js';
import { bearerToken, sendJson } from '../http/httpIo.js';
import { readBytes, readLines } from './blobReader.js';

/**
 * `GET /v1/blobs/:id` (DESIGN.md §5): a spilled output blob, for a valid access token of the
 * blob's own session (blobs are looked up in the token's session only, so another session's
 * token finds nothing). Without a query it serves bytes — all of them, or one `Range: bytes=…`
 * (206, `Content-Range`); with `?line=N&lines=M` a JSON line page ({@link BlobLinePage}).
 * A blob still being written serves what is written so far (`x-spin-blob-complete: false`).
 */
export async function serveBlob(
  ctx: RuntimeContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): Promise<void> {
  const claims = await verifySessionToken(bearerToken(req), ctx.pairing, ctx.keys.runtimeId);
  const found = ctx.sessions.blobs.find(claims.sid, id);
  if (!found) {
    throw new SpinError('blob.not_found', `no blob "${id.slice(0, 64)}" in this session`);
  }
  const { meta, file } = found;
  const headers = {
    [BLOB_HEADERS.bytes]: String(meta.bytes),
    [BLOB_HEADERS.lines]: String(meta.lines),
    [BLOB_HEADERS.complete]: String(meta.complete),
    ...(meta.sha256 ? { [BLOB_HEADERS.sha256]: meta.sha256 } : {}),
    'access-control-expose-headers': [...Object.values(BLOB_HEADERS), 'content-range'].join(', '),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  const query = new URL(req.url ?? '/', 'http://runtime').searchParams;
  if (query.has('line') || query.has('lines')) {
    const parsed = BlobLineQuerySchema.safeParse(Object.fromEntries(query));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SpinError(
        'request.invalid',
        `invalid line page: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      );
    }
    const { line, lines } = parsed.data;
    const page = await readLines(file, meta, line, lines, BLOB_PAGE_MAX_BYTES);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    sendJson(res, 200, {
      id: meta.id,
      line,
      lines: page.lines,
      nextLine: page.nextLine,
      totalLines: meta.lines,
      totalBytes: meta.bytes,
      complete: meta.complete,
      sha256: meta.sha256,
    } satisfies BlobLinePage);
    return;
  }
  const base = {
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'accept-ranges': 'bytes',
  };
  const rangeHeader = req.headers.range;
  let start = 0;
  let end = meta.bytes - 1;
  let status = 200;
  if (rangeHeader !== undefined) {
    const ranges = parseRange(meta.bytes, rangeHeader, { combine: true });
    if (ranges === -2) throw new SpinError('request.invalid', 'malformed Range header');
    if (ranges === -1 || ranges.type !== 'bytes' || ranges.length !== 1) {
      res.setHeader('content-range', `bytes */${meta.bytes}`);
      throw new SpinError(
        'blob.range_not_satisfiable',
        ranges === -1
          ? `range is outside the blob (${meta.bytes} bytes)`
          : 'one byte range per request',
      );
    }
    start = ranges[0]!.start;
    end = ranges[0]!.end;
    status = 206;
    res.setHeader('content-range', `bytes ${start}-${end}/${meta.bytes}`);
  }
  res.writeHead(status, { ...base, 'content-length': String(Math.max(0, end - start + 1)) });
  if (end < start) {
    res.end();
    return;
  }
  await pipeline(readBytes(file, start, end), res);
}
