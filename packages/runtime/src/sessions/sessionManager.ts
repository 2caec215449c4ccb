import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { ensurePrivateDir } from '../security/secureFiles.js';
import { Session, type SessionDeps } from './session.js';

const SAFE_SID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * All sessions of the runtime, by sid. A session is created (or reloaded from its journal) on
 * the first authorised hello for its sid; its files live in `$SPIN_HOME/sessions/<sid>/`
 * (`journal.jsonl`, and `work/` — the only directory user code may write).
 */
export class SessionManager {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly home: string,
    private readonly deps: SessionDeps,
    /** Sets up each session's directories and user for its sandbox. */
    private readonly sandbox?: Sandbox,
  ) {}

  /** Directory name for a sid; sids that are not filename-safe are hashed. */
  static dirName(sid: string): string {
    return SAFE_SID.test(sid) ? sid : 'h_' + createHash('sha256').update(sid).digest('hex');
  }

  get(sid: string): Session {
    let s = this.sessions.get(sid);
    if (!s) {
      const dir = join(this.home, 'sessions', SessionManager.dirName(sid));
      const workDir = join(dir, 'work');
      ensurePrivateDir(workDir);
      this.sandbox?.session(sid, workDir);
      s = new Session(sid, join(dir, 'journal.jsonl'), workDir, this.deps);
      this.sessions.set(sid, s);
    }
    return s;
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
