import { useMemo } from 'react';
import { BlobPager, type NotebookSession } from '@spin/client';
import type { Runtime } from '@spin/protocol';
import { api } from '../app/api';
import type { BlobAccess } from '../outputs/blobAccess';
import type { SessionHandle } from './useNotebookSession';

/** A token is asked for again this long before it expires. */
const EARLY_MS = 30_000;

/**
 * Reading spilled output from the page's runtime: blobs belong to the session, so requests
 * carry the session's access token (one token for all of them, fetched again near its expiry or
 * when the runtime says it expired — BlobPager retries once).
 */
export function useBlobAccess(session: SessionHandle, runtime: Runtime | null): BlobAccess {
  const runtimeUrl = runtime?.url ?? null;
  return useMemo(() => {
    if (!runtimeUrl) return null;
    let cached: { sid: string; token: string; expires: number } | null = null;
    const token = async (s: NotebookSession, fresh: boolean) => {
      if (!fresh && cached && cached.sid === s.sid && cached.expires - EARLY_MS > Date.now()) {
        return cached.token;
      }
      const t = await api.accessToken(s.sid);
      cached = { sid: s.sid, token: t.token, expires: Date.parse(t.expiresAt) };
      return t.token;
    };
    const pager = async (id: string) => {
      const s = await session.ready();
      let calls = 0;
      // the first call may use the cached token; BlobPager's retry after expiry gets a new one
      return new BlobPager({ runtimeUrl, id, getToken: () => token(s, calls++ > 0) });
    };
    return {
      lines: (id) => async (line, count) => (await (await pager(id)).lines(line, count)).lines,
      download: async (id) => {
        const { bytes } = await (await pager(id)).bytes();
        return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'text/plain;charset=utf-8' });
      },
    };
  }, [session, runtimeUrl]);
}
