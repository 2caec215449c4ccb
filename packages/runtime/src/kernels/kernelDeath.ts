import { constants } from 'node:os';
import type { KernelDeath } from '@spin/protocol';

/** Why the runtime itself ended a kernel, when it did (else the exit speaks for itself). */
export type KillReason = 'heartbeat' | 'timeout' | 'shutdown';

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, n]) => [n, name]),
);

/**
 * The cause of a kernel's exit, for people. A sandbox wrapper (bubblewrap) reports a child
 * killed by signal N as exit code 128 + N, so such codes are read as that signal. SIGKILL that
 * the runtime did not send is almost always the kernel OOM killer (or an operator's kill -9).
 */
export function describeKernelExit(
  code: number | null,
  signal: string | null,
  killedBy: KillReason | null,
): KernelDeath {
  const sig =
    signal ?? (code !== null && code > 128 ? (SIGNAL_NAMES.get(code - 128) ?? null) : null);
  const how = `exit code ${code ?? 'none'}${sig ? `, signal ${sig}` : ''}`;
  if (killedBy === 'heartbeat') {
    return {
      reason: 'heartbeat',
      exitCode: code,
      signal: sig,
      message: `the kernel stopped answering its heartbeat and was killed (${how})`,
    };
  }
  if (killedBy === 'timeout') {
    return {
      reason: 'timeout',
      exitCode: code,
      signal: sig,
      message: `the kernel ignored the interrupt and was killed (${how})`,
    };
  }
  if (sig === 'SIGKILL') {
    return {
      reason: 'oom',
      exitCode: code,
      signal: sig,
      message: `the kernel was killed by SIGKILL — likely out of memory (${how})`,
    };
  }
  if (sig) {
    return { reason: 'signal', exitCode: code, signal: sig, message: `the kernel died (${how})` };
  }
  return { reason: 'exited', exitCode: code, signal: null, message: `the kernel exited (${how})` };
}
