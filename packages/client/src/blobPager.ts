import {
  BLOB_HEADERS,
  BLOB_PAGE_MAX_LINES,
  BlobLinePageSchema,
  blobPath,
  type BlobLinePage,
} from '@spin/protocol';
import { ApiError, errorFromResponse } from './errors.js';

/** Where a blob lives and how to authorise reading it. */
export interface BlobPagerOptions {
  /** Runtime base URL (http[s]://host:port). */
  runtimeUrl: string;
  /** Blob id (from a blob reference, `BlobRef.id`). */
  id: string;
  /** A fresh access token for the session the blob belongs to (as for the WebSocket). */
  getToken: () => Promise<string>;
  fetch?: typeof fetch;
}

/** Bytes of a blob and what the runtime said about the whole. */
export interface BlobBytes {
  bytes: Uint8Array;
  /** Size of the whole blob (so far, while it is still being written). */
  totalBytes: number;
  complete: boolean;
  sha256: string | null;
}

/**
 * Reads a spilled output blob from its runtime (`GET /v1/blobs/:id`) with the session's access
 * token: byte ranges (HTTP Range) and line pages, for the UI's "showing N of M — load more".
 * Browser-safe (fetch only). A token that expired is replaced once per request.
 */
export class BlobPager {
  private readonly doFetch: typeof fetch;
  private readonly url: string;

  constructor(private readonly opts: BlobPagerOptions) {
    this.doFetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.url = opts.runtimeUrl.replace(/\/+$/, '') + blobPath(opts.id);
  }

  private async get(query: string, headers: Record<string, string> = {}): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.opts.getToken();
      let res: Response;
      try {
        res = await this.doFetch(this.url + query, {
          headers: { ...headers, authorization: `Bearer ${token}` },
        });
      } catch (err) {
        throw new ApiError(
          'client.network_error',
          `cannot reach the runtime: ${(err as Error).message}`,
        );
      }
      if (res.ok) return res;
      const error = await errorFromResponse(res);
      if (error.code === 'auth.token_expired' && attempt === 0) continue;
      throw error;
    }
  }

  /** Lines `line`…`line + count - 1` (1-based; a page may end early, see `nextLine`). */
  async lines(line: number, count = 1000): Promise<BlobLinePage> {
    const res = await this.get(`?line=${line}&lines=${Math.min(count, BLOB_PAGE_MAX_LINES)}`);
    const parsed = BlobLinePageSchema.safeParse(await res.json());
    if (!parsed.success) {
      throw new ApiError('client.bad_response', 'runtime sent an invalid blob page', res.status);
    }
    return parsed.data;
  }

  /** Every page from `line` on, until the last line written. */
  async *pages(line = 1, count = BLOB_PAGE_MAX_LINES): AsyncGenerator<BlobLinePage> {
    for (let next: number | null = line; next !== null;) {
      const page: BlobLinePage = await this.lines(next, count);
      yield page;
      next = page.lines.length > 0 ? page.nextLine : null;
    }
  }

  /** Bytes `start`…`end` inclusive (omit `end` for the rest; omit both for the whole blob). */
  async bytes(start?: number, end?: number): Promise<BlobBytes> {
    const range: Record<string, string> =
      start === undefined ? {} : { range: `bytes=${start}-${end === undefined ? '' : end}` };
    const res = await this.get('', range);
    const h = res.headers;
    return {
      bytes: new Uint8Array(await res.arrayBuffer()),
      totalBytes: Number(h.get(BLOB_HEADERS.bytes) ?? 0),
      complete: h.get(BLOB_HEADERS.complete) === 'true',
      sha256: h.get(BLOB_HEADERS.sha256),
    };
  }
}

/** One request for a blob's bytes (a range, or all of it). */
export function fetchBlob(
  opts: BlobPagerOptions,
  range?: { start: number; end?: number },
): Promise<BlobBytes> {
  return new BlobPager(opts).bytes(range?.start, range?.end);
}
