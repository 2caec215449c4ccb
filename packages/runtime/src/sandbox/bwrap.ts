import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join, sep } from 'node:path';

/**
 * Command lines for bubblewrap (https://github.com/containers/bubblewrap, Debian `bubblewrap`).
 *
 * The sandbox root is bwrap's own tmpfs, assembled from the host's top-level entries bound
 * read-only — so a fresh `/spin` can be added for the session's own directories without
 * writing to the host. Every hidden path (SPIN_HOME, the server's data dir, …) is covered by
 * an empty tmpfs (a file by /dev/null) on top of that; `/tmp`, `/dev` and `/proc` are private.
 */

/** Default path of bubblewrap, as Debian's `bubblewrap` package installs it. */
export const BWRAP = '/usr/bin/bwrap';

/** Where the session's directories appear inside the sandbox. */
export const SANDBOX_ROOT = '/spin';
/** The session's work directory (cwd and HOME) inside the sandbox. */
export const INSIDE_WORK = `${SANDBOX_ROOT}/work`;
/** The session's IPython directory (history, profile) inside the sandbox. */
export const INSIDE_IPYTHON = `${SANDBOX_ROOT}/ipython`;
/** A kernel's connection directory (connection file, IPC sockets) inside the sandbox. */
export const INSIDE_KERNEL = `${SANDBOX_ROOT}/kernel`;

/** Top-level entries the sandbox gets fresh instead of bound from the host. */
const PRIVATE_TOP = new Set(['proc', 'dev', 'tmp', SANDBOX_ROOT.slice(1)]);

/** One host path made visible (and writable) inside the sandbox at another path. */
export interface BwrapBind {
  host: string;
  inside: string;
}

/** Everything one sandboxed process gets. */
export interface BwrapSpec {
  /** Real (resolved) host paths the process must not see: directories and files. */
  hide: readonly string[];
  /** The only writable host directories, and where they appear. */
  binds: readonly BwrapBind[];
  /** Working directory inside the sandbox. */
  chdir: string;
  /** Environment variables set inside (HOME, TMPDIR, …). */
  setenv: Readonly<Record<string, string>>;
  /** false: a network namespace of its own (only `lo`). */
  network: boolean;
  /**
   * true when bwrap runs as root: no user namespace, so the command can drop to its session's
   * uid with setpriv; otherwise bwrap runs unprivileged in a user namespace with no caps.
   */
  privileged: boolean;
}

/** A host top-level entry as the sandbox root reproduces it. */
export type RootEntry = { name: string; symlink: string | null };

/** The host's top-level entries (read once per runtime: `/` rarely changes). */
export function readRootEntries(root = '/'): RootEntry[] {
  const out: RootEntry[] = [];
  for (const name of readdirSync(root)) {
    if (PRIVATE_TOP.has(name)) continue;
    try {
      const st = lstatSync(join(root, name));
      out.push({ name, symlink: st.isSymbolicLink() ? readlinkSync(join(root, name)) : null });
    } catch {
      // vanished while listing
    }
  }
  return out;
}

function topOf(path: string): string {
  return path.split(sep)[1] ?? '';
}

/** The bwrap command line up to `--` for `spec`. */
export function bwrapArgs(
  spec: BwrapSpec,
  rootEntries: readonly RootEntry[],
  bwrap = BWRAP,
): string[] {
  // a path inside another hidden one is hidden already (and mounting over it would leave its
  // name visible as an empty directory)
  const sorted = [...spec.hide].sort((a, b) => a.length - b.length);
  const hidden = sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p.startsWith(q + sep)));
  const hiddenTop = new Set(hidden.filter((p) => p.split(sep).length === 2).map(topOf));
  const args: string[] = spec.privileged
    ? []
    : ['--unshare-user', '--cap-drop', 'ALL', '--disable-userns'];
  args.push('--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try');
  if (!spec.network) args.push('--unshare-net');
  args.push('--die-with-parent');
  // Without network, /run goes too: the Unix sockets of local services (PostgreSQL, MariaDB,
  // Docker…) live there and a network namespace does not cover the file system.
  const privateRun = !spec.network && rootEntries.some((e) => e.name === 'run' && !e.symlink);
  for (const e of rootEntries) {
    if (hiddenTop.has(e.name) || (privateRun && e.name === 'run')) continue;
    const p = `/${e.name}`;
    if (e.symlink !== null) args.push('--symlink', e.symlink, p);
    else args.push('--ro-bind-try', p, p);
  }
  args.push('--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp');
  if (privateRun) args.push('--tmpfs', '/run');
  const bound = new Set(rootEntries.filter((e) => e.symlink === null).map((e) => e.name));
  for (const p of hidden) {
    const top = topOf(p);
    if (!bound.has(top) || hiddenTop.has(top)) continue; // not in the sandbox at all
    if (privateRun && top === 'run') continue; // /run is an empty tmpfs already
    let dir: boolean;
    try {
      dir = lstatSync(p).isDirectory();
    } catch {
      continue; // nothing there to hide
    }
    if (dir) args.push('--tmpfs', p);
    else args.push('--ro-bind', '/dev/null', p);
  }
  args.push('--dir', SANDBOX_ROOT);
  for (const b of spec.binds) args.push('--bind', b.host, b.inside);
  args.push('--remount-ro', '/', '--chdir', spec.chdir);
  for (const [k, v] of Object.entries(spec.setenv)) args.push('--setenv', k, v);
  return [bwrap, ...args, '--'];
}
