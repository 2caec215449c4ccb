/**
 * Optional bubblewrap sandbox (DESIGN.md §5 `SPIN_SANDBOX=bwrap`): kernels and shell scripts
 * see a read-only root, private /tmp, /dev and /proc, and only their session directory (plus the
 * kernel's connection dir) writable. The network is shared because operations cells query
 * real systems; every other namespace is unshared. `--die-with-parent` ties them to the runtime.
 */
export type SandboxMode = 'none' | 'bwrap';

/** Rewrites a command line to run inside the sandbox. */
export type CommandWrapper = (argv: string[]) => string[];

/** Absolute path of bubblewrap as installed by Debian's `bubblewrap` package. */
export const BWRAP = '/usr/bin/bwrap';

/**
 * Build the bwrap argv prefix for a process that may write only to `writable` directories and
 * must not see `hidden` ones at all (SPIN_HOME: keys, pairing, other sessions' journals).
 */
export function bwrapArgs(writable: readonly string[], hidden: readonly string[] = []): string[] {
  return [
    BWRAP,
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    ...hidden.flatMap((dir) => ['--tmpfs', dir]),
    ...writable.flatMap((dir) => ['--bind', dir, dir]),
    '--unshare-all',
    '--share-net',
    '--die-with-parent',
    '--',
  ];
}

/** A wrapper for `mode`, or undefined when processes run unsandboxed. */
export function sandboxWrapper(
  mode: SandboxMode,
  writable: readonly string[],
  hidden: readonly string[] = [],
): CommandWrapper | undefined {
  if (mode === 'none') return undefined;
  const prefix = bwrapArgs(writable, hidden);
  return (argv) => [...prefix, ...argv];
}

/** For processors: a sandbox that takes the writable dirs per call, or undefined for `none`. */
export function processSandbox(
  mode: SandboxMode,
  hidden: readonly string[] = [],
): ((argv: string[], writable: string[]) => string[]) | undefined {
  if (mode === 'none') return undefined;
  return (argv, writable) => [...bwrapArgs(writable, hidden), ...argv];
}
