/**
 * The util-linux programs (Debian: essential) that put a process into its sandbox by exec'ing
 * the next one: each keeps the PID and the process group, so kill and interrupt still reach
 * the user's process.
 */

/** Drops to a uid/gid: no supplementary groups, no capabilities, no setuid gains. */
export const SETPRIV = '/usr/bin/setpriv';
/** Sets rlimits, then execs. */
export const PRLIMIT = '/usr/bin/prlimit';
/** Enters new namespaces (here: only a network namespace), then execs. */
export const UNSHARE = '/usr/bin/unshare';
/** Sets environment variables, then execs. */
export const ENV = '/usr/bin/env';

/** A session's own unprivileged identity. */
export interface SessionUser {
  uid: number;
  gid: number;
}

/** Resource limits of one sandboxed process (setrlimit, inherited by its children). */
export interface ProcessLimits {
  /** RLIMIT_AS, bytes. */
  memoryBytes?: number | undefined;
  /** RLIMIT_CPU, seconds of CPU time over the process's life. */
  cpuSeconds?: number | undefined;
  /** RLIMIT_NPROC: processes of the session's uid (useless for root, which ignores it). */
  processes?: number | undefined;
}

/** `setpriv … --` to run as `user` with nothing else. */
export function setprivArgs(user: SessionUser): string[] {
  return [
    SETPRIV,
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
  ];
}

/** `prlimit … --`, or nothing when no limit is configured. */
export function prlimitArgs(limits: ProcessLimits): string[] {
  const opts: string[] = [];
  if (limits.memoryBytes !== undefined) opts.push(`--as=${limits.memoryBytes}`);
  if (limits.cpuSeconds !== undefined) opts.push(`--cpu=${limits.cpuSeconds}`);
  if (limits.processes !== undefined) opts.push(`--nproc=${limits.processes}`);
  return opts.length > 0 ? [PRLIMIT, ...opts, '--'] : [];
}

/** True when any limit is set (then prlimit must exist). */
export function hasLimits(limits: ProcessLimits): boolean {
  return prlimitArgs(limits).length > 0;
}
