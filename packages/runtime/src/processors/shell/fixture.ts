import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';

/** True while the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Shell runs on this machine's real bash. Its "upstream work" is the script's process group:
 * the slow script records its own pid and its child's, and cancellation must leave neither.
 * Shell has no connection, so the connection errors cannot happen; a runtime secret planted in
 * the host environment (SPIN_TOKEN) must never reach a script.
 */
export const fixture: ProcessorFixture = {
  processor: 'shell',
  async setup({ workDir }) {
    const pidFile = join(workDir, 'slow.pids');
    const pids = () =>
      existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number) : [];
    const canary = `spin-token-canary-${crypto.randomUUID()}`;
    return {
      connection: null,
      secrets: [canary],
      hostEnv: { ...process.env, SPIN_TOKEN: canary, SPIN_HOME: '/nonexistent' },
      query: {
        cell: { source: 'echo "hello $((6*7))"; echo "from=$SPIN_TIME_FROM" >&2' },
        check(frames) {
          const text = (name: string) =>
            frames
              .flatMap((f) => (f.type === 'stream' && f.name === name ? [f.text] : []))
              .join('');
          expect(text('stdout')).toBe('hello 42\n');
          expect(text('stderr')).toMatch(/^from=\d{4}-\d\d-\d\dT/);
          expect(frames[frames.length - 1]).toEqual({ type: 'exit', exitCode: 0 });
        },
      },
      slow: {
        cell: { source: `rm -f slow.pids; sleep 300 & echo "$$ $!" > slow.pids; wait` },
        started: async () => pids().length === 2,
        running: async () => pids().some(alive),
      },
      large: { cell: { source: 'yes 0123456789abcdef | head -c 200000' } },
      paged: {
        cell: {
          source: 'for i in $(seq 1 1200); do echo "{\\"i\\": $i, \\"sq\\": $((i*i))}"; done',
          params: { output: 'jsonl' },
        },
        rows: 1200,
      },
      errors: {
        authFailed: { notApplicable: 'shell has no connection to authenticate' },
        notFound: {
          notApplicable: 'shell has no upstream resource; a missing command is exit 127',
        },
        rateLimited: { notApplicable: 'shell calls no rate-limited service' },
        badQuery: { cell: { source: 'echo (' }, message: /syntax error/ },
      },
      leakProbe: {
        cell: { source: 'env; tr "\\0" "\\n" < /proc/self/environ; echo "$SPIN_TOKEN"' },
      },
    };
  },
};
