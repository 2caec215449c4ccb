import { z } from 'zod';

/**
 * Spilled output (DESIGN.md §3 "Output has a budget"): past a cell's inline limit the runtime
 * writes the rest of a stream to a blob and puts a reference in the outputs, as a
 * `display_data` with this MIME type (and a `text/plain` summary for front ends that do not
 * know it). The reference carries the blob's size, line count and SHA-256, so the receipt —
 * which digests the outputs — commits to the full content, not only to the head and tail.
 */
export const BLOB_REF_MIME = 'application/vnd.spin.blob-ref+json';

const count = z.number().int().nonnegative();

/**
 * A blob reference. The blob holds the whole stream (terminal-collapsed, UTF-8): its first
 * `head.lines` lines are the head shown inline before the reference, and from `tail.fromLine`
 * on it is the tail shown inline after it. Lines are numbered from 1; a last line without a
 * newline counts.
 */
export const BlobRefSchema = z.object({
  id: z.string().regex(/^b_[A-Za-z0-9_-]{16,64}$/),
  stream: z.enum(['stdout', 'stderr']),
  /** `spilling` while the cell runs (counts grow); `complete` once the blob is final. */
  state: z.enum(['spilling', 'complete']),
  bytes: count,
  lines: count,
  /** Hex SHA-256 of the blob's bytes; null while spilling. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  /** Complete lines shown inline before the reference; `bytes` is where line `lines + 1` starts. */
  head: z.object({ lines: count, bytes: count }),
  /** The inline tail: blob bytes from `offset` to the end, lines `fromLine`…`lines`. */
  tail: z.object({ fromLine: count, offset: count }).nullable(),
  /** Bytes not kept because the blob reached the runtime's spill limit (0 = all kept). */
  droppedBytes: count,
  /** Path of the blob on the runtime (`GET`, with the session's access token). */
  path: z.string(),
});
export type BlobRef = z.infer<typeof BlobRefSchema>;

/** Path of a blob on its runtime. */
export function blobPath(id: string): string {
  return `/v1/blobs/${encodeURIComponent(id)}`;
}

/** Most lines one line page returns. */
export const BLOB_PAGE_MAX_LINES = 10_000;
/** Most text one line page returns (a page ends early at a line boundary past this). */
export const BLOB_PAGE_MAX_BYTES = 4 * 1024 * 1024;

/** `GET /v1/blobs/:id?line=N&lines=M`: lines N…N+M-1 (1-based). */
export const BlobLineQuerySchema = z.object({
  line: z.coerce.number().int().min(1),
  lines: z.coerce.number().int().min(1).max(BLOB_PAGE_MAX_LINES).default(1000),
});
export type BlobLineQuery = z.infer<typeof BlobLineQuerySchema>;

/** A line page of a blob. `nextLine` is null past the last line written so far. */
export const BlobLinePageSchema = z.object({
  id: z.string(),
  line: z.number().int().min(1),
  lines: z.array(z.string()),
  nextLine: z.number().int().min(1).nullable(),
  totalLines: count,
  totalBytes: count,
  complete: z.boolean(),
  sha256: z.string().nullable(),
});
export type BlobLinePage = z.infer<typeof BlobLinePageSchema>;

/** Response headers of a byte-range read (exposed to browsers by CORS). */
export const BLOB_HEADERS = {
  bytes: 'x-spin-blob-bytes',
  lines: 'x-spin-blob-lines',
  sha256: 'x-spin-blob-sha256',
  complete: 'x-spin-blob-complete',
} as const;
