import {
  chmodSync,
  chownSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { SessionUser } from './launchers.js';

/**
 * File modes for user mode, where the only wall between user code and SPIN's state is Unix
 * permissions: session users (one uid each) may *search* the directories on the way to their
 * own work dir, and read or list nothing else SPIN owns.
 */

/** Directory names under SPIN_HOME whose children belong to session users. */
const USER_PARENTS = new Set(['sessions', 'kernels']);
/** Per-session directories the session user owns (inside `sessions/<dir>/`). */
export const SESSION_USER_DIRS = ['work', 'ipython', 'tmp'] as const;

/** True when `child` is `parent` or inside it (both absolute, resolved). */
export function isWithin(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel.split(sep)[0] !== '..' && !isAbsolute(rel));
}

/** Owner bits only: group and others lose everything. */
function privatise(path: string): void {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) chmodSync(path, st.mode & 0o7700);
  } catch {
    // gone
  }
}

/** Others may traverse (x) but never list (r) or write. */
function searchOnly(dir: string): void {
  const mode = statSync(dir).mode & 0o7777;
  const want = (mode & 0o7700) | 0o011;
  if (mode !== want) chmodSync(dir, want);
}

export interface HostPermissionReport {
  /** Directories outside SPIN's own that were given o+x so session users reach SPIN_HOME. */
  opened: string[];
}

/**
 * Prepare SPIN_HOME (and the hidden paths) for user mode:
 * - umask 077 from now on, so every file SPIN (and, under `spin start`, the server) writes is
 *   private whoever wrote the code that creates it;
 * - ancestors of `home` gain o+x where they lack it (search only, never read);
 * - `home`, `sessions/`, `kernels/` and each `sessions/<dir>/` are search-only (0711);
 *   everything else directly under them loses group/other bits (keys, pairing, spin-token,
 *   replay cache, journals, blobs…);
 * - each hidden path loses group/other bits; a hidden path that contains `home` is made
 *   search-only instead, and its other children lose them.
 */
export function prepareUserModeHost(home: string, hidden: readonly string[]): HostPermissionReport {
  process.umask(0o077);
  const opened: string[] = [];
  for (let dir = dirname(home); ; dir = dirname(dir)) {
    const st = statSync(dir);
    if (hidden.some((h) => isWithin(h, dir))) searchOnly(dir);
    else if ((st.mode & 0o001) === 0) {
      chmodSync(dir, (st.mode & 0o7777) | 0o001);
      opened.push(dir);
    }
    if (dir === dirname(dir)) break;
  }
  for (const h of hidden) {
    if (isWithin(home, h)) continue; // covered by the sweep below
    if (!isWithin(h, home)) {
      privatise(h);
      continue;
    }
    // h holds home: keep the path to home searchable, hide the rest
    for (let dir = home; dir !== h; dir = dirname(dir)) {
      const parent = dirname(dir);
      for (const name of readdirSync(parent)) {
        if (join(parent, name) !== dir) privatise(join(parent, name));
      }
    }
  }
  mkdirSync(home, { recursive: true, mode: 0o700 });
  searchOnly(home);
  for (const name of readdirSync(home)) {
    const p = join(home, name);
    if (USER_PARENTS.has(name) && lstatSync(p).isDirectory()) {
      searchOnly(p);
      if (name === 'sessions') for (const s of readdirSync(p)) prepareSessionDir(join(p, s));
      else for (const k of readdirSync(p)) privatise(join(p, k));
    } else {
      privatise(p);
    }
  }
  return { opened };
}

/** `sessions/<dir>/`: searchable; its journal and anything not the user's own stays private. */
function prepareSessionDir(dir: string): void {
  if (!lstatSync(dir).isDirectory()) return privatise(dir);
  searchOnly(dir);
  for (const name of readdirSync(dir)) {
    if (!(SESSION_USER_DIRS as readonly string[]).includes(name)) privatise(join(dir, name));
  }
}

/** Make `dir` (and, if it was someone else's, everything in it) owned by `user`, mode 0700. */
export function giveToUser(dir: string, user: SessionUser): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (st.uid !== user.uid || st.gid !== user.gid) chownTree(dir, user);
  chmodSync(dir, 0o700);
}

function chownTree(path: string, user: SessionUser): void {
  lchownSync(path, user.uid, user.gid);
  const st = lstatSync(path);
  if (!st.isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), user);
}

/** Give one file to `user` (a kernel's connection file: readable by that kernel only). */
export function giveFileToUser(file: string, user: SessionUser): void {
  chownSync(file, user.uid, user.gid);
  chmodSync(file, 0o600);
}

/** Make the session directory itself searchable for its user (user mode). */
export function makeSearchable(dir: string): void {
  searchOnly(dir);
}
