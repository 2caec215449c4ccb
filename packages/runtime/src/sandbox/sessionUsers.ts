import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../security/secureFiles.js';
import type { SessionUser } from './launchers.js';

/** How many uids one runtime may hand out. */
const BLOCK = 1_000_000;
/** Default block starts: 1e9 + k·1e6 — far above real accounts and /etc/subuid ranges. */
const DEFAULT_FIRST_BLOCK = 1_000_000_000;
const DEFAULT_BLOCKS = 1000;

const StoreSchema = z.object({
  base: z.number().int().positive(),
  next: z.number().int().nonnegative(),
  sessions: z.record(z.string(), z.number().int().positive()),
});
type Store = z.infer<typeof StoreSchema>;

/**
 * The unprivileged uid (= gid) each session's user code runs as. One per session, allocated
 * from a counter that only grows and persisted in `$SPIN_HOME/sandbox/users.json` (0600)
 * before it is used, so a uid is never handed to a second session — across restarts too.
 * No /etc/passwd entry is needed: the kernel only knows numbers.
 *
 * The block is picked at random on first start (or from SPIN_SANDBOX_UID_BASE), so two
 * runtimes on one host are unlikely to share uids; set distinct bases to rule it out.
 */
export class SessionUsers {
  private readonly file: string;
  private readonly store: Store;

  constructor(home: string, base?: number) {
    this.file = join(home, 'sandbox', 'users.json');
    const loaded = existsSync(this.file)
      ? StoreSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')))
      : null;
    if (loaded && !loaded.success) {
      throw new Error(`${this.file} is corrupt; refusing to guess which uids are taken`);
    }
    this.store = loaded?.data ?? {
      base: base ?? DEFAULT_FIRST_BLOCK + randomInt(0, DEFAULT_BLOCKS) * BLOCK,
      next: 0,
      sessions: {},
    };
    if (!loaded) this.save();
  }

  /** The session's user, allocating (and persisting) a fresh uid on first use. */
  forSession(sid: string): SessionUser {
    let uid = Object.hasOwn(this.store.sessions, sid) ? this.store.sessions[sid] : undefined;
    if (uid === undefined) {
      if (this.store.next >= BLOCK) throw new Error('the sandbox uid block is exhausted');
      uid = this.store.base + this.store.next;
      this.store.next++;
      this.store.sessions[sid] = uid;
      this.save();
    }
    return { uid, gid: uid };
  }

  /**
   * Hand the uid allocated under `from` (a pre-started kernel's placeholder) to session `to`,
   * which has none yet; persisted before it returns. The uid has never been anyone else's.
   */
  transfer(from: string, to: string): void {
    const uid = Object.hasOwn(this.store.sessions, from) ? this.store.sessions[from] : undefined;
    if (uid === undefined) throw new Error(`no uid is allocated to ${from}`);
    if (Object.hasOwn(this.store.sessions, to)) throw new Error(`${to} already has a uid`);
    this.store.sessions[to] = uid;
    delete this.store.sessions[from];
    this.save();
  }

  private save(): void {
    writePrivateFile(this.file, JSON.stringify(this.store) + '\n');
  }
}
