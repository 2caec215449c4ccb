import { closeSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lastSeqOf, listSegments, segmentName } from './journal.js';

/** How long and how much journal and blob data the runtime keeps (from config). */
export interface RetentionLimits {
  maxAgeMs: number;
  maxBytes: number;
}

interface Item {
  files: string[];
  bytes: number;
  mtimeMs: number;
  /** A session's newest segment: replaced by an empty marker so its seq numbering survives. */
  marker?: { dir: string; nextSeq: number };
}

function safeStat(file: string): { size: number; mtimeMs: number } | null {
  try {
    const st = statSync(file);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Delete journal segments and spilled blobs of every session under `$SPIN_HOME/sessions`: all
 * older than `maxAgeMs`, then the oldest until the total is under `maxBytes`. Files `inUse`
 * reports (a journal's active segment, a blob being written) are never touched. A session's
 * newest segment, when deleted, leaves an empty segment named after the next seq, so a client
 * resuming with an old `lastSeq` never sees numbers reused. Returns the bytes freed.
 */
export function sweepRetention(
  home: string,
  limits: RetentionLimits,
  inUse: (file: string) => boolean,
  now = Date.now(),
): { freedBytes: number; deletedFiles: number } {
  const items: Item[] = [];
  let total = 0;
  const root = join(home, 'sessions');
  for (const name of listDir(root)) {
    const sessionDir = join(root, name);
    const journalDir = join(sessionDir, 'journal');
    const segments = listSegments(journalDir);
    segments.forEach((seg, i) => {
      const st = safeStat(seg.file);
      if (!st) return;
      total += st.size;
      if (inUse(seg.file) || st.size === 0) return;
      const last = i === segments.length - 1;
      items.push({
        files: [seg.file],
        bytes: st.size,
        mtimeMs: st.mtimeMs,
        ...(last
          ? { marker: { dir: journalDir, nextSeq: lastSeqOf(seg.file, seg.firstSeq) + 1 } }
          : {}),
      });
    });
    const blobDir = join(sessionDir, 'blobs');
    for (const f of listDir(blobDir)) {
      if (!f.endsWith('.txt')) continue;
      const file = join(blobDir, f);
      const st = safeStat(file);
      if (!st) continue;
      total += st.size;
      if (inUse(file)) continue;
      items.push({
        files: [file, file.replace(/\.txt$/, '.json')],
        bytes: st.size,
        mtimeMs: st.mtimeMs,
      });
    }
  }
  items.sort((a, b) => a.mtimeMs - b.mtimeMs);
  let freedBytes = 0;
  let deletedFiles = 0;
  for (const item of items) {
    const expired = item.mtimeMs < now - limits.maxAgeMs;
    if (!expired && total - freedBytes <= limits.maxBytes) break;
    for (const f of item.files) rmSync(f, { force: true });
    if (item.marker) {
      closeSync(openSync(join(item.marker.dir, segmentName(item.marker.nextSeq)), 'a', 0o600));
    }
    freedBytes += item.bytes;
    deletedFiles++;
  }
  return { freedBytes, deletedFiles };
}
