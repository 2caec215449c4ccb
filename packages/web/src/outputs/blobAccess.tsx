import { createContext, useContext } from 'react';
import type { FetchLines } from './spilled';

/**
 * How outputs reach the runtime's blobs (spilled output): given a blob id, a function that
 * fetches lines of it with the session's access token. Null where there is no session (a
 * notebook shown without a runtime): a cut stream then says its middle is not reachable.
 */
export type BlobAccess = {
  lines(blobId: string): FetchLines;
  /** A link to the whole blob, to download it (fetched with the token, given as an object URL). */
  download(blobId: string): Promise<Blob>;
} | null;

export const BlobAccessContext = createContext<BlobAccess>(null);

export const useBlobAccess = () => useContext(BlobAccessContext);
