import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from './secureFiles.js';

/** Keep entries this long past `exp`: openProgram accepts programs up to 30 s after exp. */
const RETAIN_AFTER_EXP_S = 60;

/**
 * Persisted set of program `jti`s already executed (DESIGN.md §1 step 5), so a replayed
 * envelope is rejected even after a runtime restart. Append-only JSON lines, written and
 * fdatasync'd before the program may run; expired entries are dropped when the file is
 * compacted.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private readonly file: string;
  private fd: number;
  private lines = 0;

  constructor(
    home: string,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.file = join(home, 'replay-cache.jsonl');
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const { jti, exp } = JSON.parse(line) as { jti: unknown; exp: unknown };
          if (typeof jti === 'string' && typeof exp === 'number') this.seen.set(jti, exp);
        } catch {
          // a torn last line after a crash: the entry was never acknowledged
        }
      }
    }
    this.compact();
    this.fd = openSync(this.file, 'a', 0o600);
  }

  /** Number of live entries. */
  get size(): number {
    return this.seen.size;
  }

  /** Record `jti` until `exp`; false if it was already used (the program is a replay). */
  claim(jti: string, exp: number): boolean {
    const known = this.seen.get(jti);
    if (known !== undefined && known + RETAIN_AFTER_EXP_S > this.now()) return false;
    writeSync(this.fd, JSON.stringify({ jti, exp }) + '\n');
    fdatasyncSync(this.fd);
    this.seen.set(jti, exp);
    this.lines++;
    if (this.lines > 1000 && this.lines > 2 * this.seen.size) this.rotate();
    return true;
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [jti, exp] of this.seen) if (exp + RETAIN_AFTER_EXP_S <= now) this.seen.delete(jti);
  }

  /** Rewrite the file with only live entries (atomic rename). */
  private compact(): void {
    this.dropExpired();
    const body = [...this.seen].map(([jti, exp]) => JSON.stringify({ jti, exp }) + '\n').join('');
    writePrivateFile(this.file, body);
    this.lines = this.seen.size;
  }

  private rotate(): void {
    closeSync(this.fd);
    this.compact();
    this.fd = openSync(this.file, 'a', 0o600);
  }

  close(): void {
    closeSync(this.fd);
  }
}
