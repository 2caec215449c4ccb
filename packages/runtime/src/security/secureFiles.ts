import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * Create a directory (and parents) that only the runtime user can list or write (0700). One
 * the sandbox made search-only (0711: session users pass through on the way to their own work
 * dir, but list nothing) stays so.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const searchOnly = (statSync(dir).mode & 0o777) === 0o711;
  chmodSync(dir, searchOnly ? 0o711 : 0o700);
}

/**
 * Write a file atomically with mode 0600 (temp file, fsync, rename), so a crash never leaves a
 * half-written key or pairing file behind and other local users can never read it.
 */
export function writePrivateFile(path: string, content: string): void {
  ensurePrivateDir(dirname(path));
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
