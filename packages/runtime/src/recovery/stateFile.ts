import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDir } from '../security/secureFiles.js';

/**
 * A small JSON file under `$SPIN_HOME/state/` that the runtime rewrites as its processes and
 * runs come and go, so that its next life can clean up after a crash. Written atomically (temp
 * file + rename): a reader sees the old or the new content, never half of one. No fsync — what
 * it must survive is the runtime process being killed (the page cache outlives it); after a
 * power loss the kernels are gone as well.
 */
export class StateFile<T> {
  constructor(
    readonly path: string,
    private readonly empty: () => T,
  ) {}

  /** The file's content, or `empty()` when it is missing or unreadable. */
  read(): T {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as T;
    } catch {
      return this.empty();
    }
  }

  write(value: T): void {
    this.writeText(JSON.stringify(value));
  }

  /** Replace the file's content with `text`, atomically. */
  writeText(text: string): void {
    ensurePrivateDir(dirname(this.path));
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}
