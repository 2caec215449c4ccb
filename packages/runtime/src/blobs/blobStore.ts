import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir } from '../security/secureFiles.js';

/** Text is encoded and written in pieces of this many UTF-16 units (≤ 3 bytes each). */
const PIECE_CHARS = 256 * 1024;
const scratch = Buffer.allocUnsafe(3 * PIECE_CHARS);
/** A line-start checkpoint is recorded at least every this many bytes of blob. */
const INDEX_STEP_BYTES = 64 * 1024;
const BLOB_ID = /^b_[A-Za-z0-9_-]{16,64}$/;

/**
 * Write a blob's metadata atomically (temp file, rename), mode 0600 — without fsync, like the
 * journal and the blob itself: they survive the runtime being killed, not a power loss. An
 * fsync right after a big blob would wait for the blob's data too (tens of ms to seconds).
 */
function writeMeta(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** What the runtime knows of a blob: finished ones from their `.json`, live ones in memory. */
export const BlobMetaSchema = z.object({
  id: z.string(),
  sid: z.string(),
  cell: z.string(),
  jti: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  createdAt: z.string(),
  bytes: z.number().int().nonnegative(),
  lines: z.number().int().nonnegative(),
  sha256: z.string().nullable(),
  complete: z.boolean(),
  /** [line number, byte offset where that line starts], ascending. */
  index: z.array(z.tuple([z.number().int(), z.number().int()])),
});
export type BlobMeta = z.infer<typeof BlobMetaSchema>;

/**
 * A blob being written: the spilled part of one stream of one cell, appended as it arrives,
 * hashed and line-indexed on the way, so nothing ever holds it whole.
 */
export class BlobWriter {
  private fd: number | null;
  private readonly hash: Hash = createHash('sha256');
  private readonly state: BlobMeta;
  private nextCheckpoint = INDEX_STEP_BYTES;
  private endsWithNewline = true;

  constructor(
    readonly file: string,
    private readonly metaFile: string,
    meta: Omit<BlobMeta, 'bytes' | 'lines' | 'sha256' | 'complete' | 'index' | 'createdAt'>,
    private readonly onDone: () => void,
  ) {
    this.fd = openSync(file, 'wx', 0o600);
    this.state = {
      ...meta,
      createdAt: new Date().toISOString(),
      bytes: 0,
      lines: 0,
      sha256: null,
      complete: false,
      index: [[1, 0]],
    };
  }

  get id(): string {
    return this.state.id;
  }

  /**
   * Append text, encoded piece by piece into one scratch buffer: a 50 MB chunk from the kernel
   * is never copied whole. Returns the bytes written (its UTF-8 length).
   */
  write(text: string): number {
    if (this.fd === null || text.length === 0) return 0;
    const before = this.state.bytes;
    for (let i = 0; i < text.length;) {
      let end = Math.min(text.length, i + PIECE_CHARS);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--; // keep a pair whole
      const n = scratch.write(text.slice(i, end), 0, 'utf8');
      this.writeBytes(scratch.subarray(0, n));
      i = end;
    }
    return this.state.bytes - before;
  }

  private writeBytes(buf: Buffer): void {
    writeSync(this.fd!, buf);
    this.hash.update(buf);
    const base = this.state.bytes;
    let newlines = 0;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, nl + 1)) {
      newlines++;
      const lineStart = base + nl + 1;
      if (lineStart >= this.nextCheckpoint) {
        this.state.index.push([this.state.lines + newlines + 1, lineStart]);
        this.nextCheckpoint = lineStart + INDEX_STEP_BYTES;
      }
    }
    this.state.lines += newlines;
    this.state.bytes += buf.length;
    this.endsWithNewline = buf[buf.length - 1] === 0x0a;
  }

  /** Lines so far, counting a last line without newline. */
  get lines(): number {
    return this.state.lines + (this.endsWithNewline ? 0 : 1);
  }

  get bytes(): number {
    return this.state.bytes;
  }

  /** Current state (a copy; `lines` counts an unfinished last line). */
  meta(): BlobMeta {
    return { ...this.state, lines: this.lines, index: [...this.state.index] };
  }

  /** Close the file and record its digest; returns the final metadata. */
  finish(): BlobMeta {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
      this.state.sha256 = this.hash.digest('hex');
      this.state.complete = true;
      this.state.lines = this.lines;
      writeMeta(this.metaFile, JSON.stringify(this.state));
      this.onDone();
    }
    return this.meta();
  }
}

/**
 * Spilled output blobs (DESIGN.md §3), one directory per session under
 * `$SPIN_HOME/sessions/<sid>/blobs/` (`<id>.txt` and `<id>.json`, mode 0600). Looking a blob
 * up needs its session, so a token can only ever reach the blobs of its own session.
 */
export class BlobStore {
  private readonly live = new Map<string, BlobWriter>();

  /** `sessionDir(sid)` is the session's directory (SessionManager owns the naming). */
  constructor(private readonly sessionDir: (sid: string) => string) {}

  private dir(sid: string): string {
    return join(this.sessionDir(sid), 'blobs');
  }

  /** Start a blob for one stream of one cell. */
  create(meta: {
    sid: string;
    cell: string;
    jti: string;
    stream: 'stdout' | 'stderr';
  }): BlobWriter {
    const dir = this.dir(meta.sid);
    ensurePrivateDir(dir);
    const id = 'b_' + randomBytes(16).toString('base64url');
    const key = `${meta.sid}\n${id}`;
    const writer = new BlobWriter(
      join(dir, `${id}.txt`),
      join(dir, `${id}.json`),
      { id, ...meta },
      () => this.live.delete(key),
    );
    this.live.set(key, writer);
    return writer;
  }

  /** True while the blob file at `file` is still being written (retention leaves it alone). */
  isLive(file: string): boolean {
    for (const w of this.live.values()) if (w.file === file) return true;
    return false;
  }

  /** A blob of session `sid` with its file, or null (unknown id, other session, expired). */
  find(sid: string, id: string): { meta: BlobMeta; file: string } | null {
    if (!BLOB_ID.test(id)) return null;
    const file = join(this.dir(sid), `${id}.txt`);
    const writer = this.live.get(`${sid}\n${id}`);
    if (writer) return { meta: writer.meta(), file };
    try {
      const meta = BlobMetaSchema.parse(
        JSON.parse(readFileSync(join(this.dir(sid), `${id}.json`), 'utf8')),
      );
      return meta.sid === sid ? { meta, file } : null;
    } catch {
      return null;
    }
  }
}
