import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessLedger, procStat } from './processLedger.js';

const logger = pino({ level: 'silent' });
const children: ChildProcess[] = [];

/** A detached `sleep` (own process group, like a kernel) that this test owns. */
function sleeper(): ChildProcess {
  const c = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  children.push(c);
  return c;
}

function running(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}

afterEach(() => {
  for (const c of children.splice(0)) if (running(c)) c.kill('SIGKILL');
});

describe('ProcessLedger (crash recovery)', () => {
  it('records PID, group and start time, and a new life kills what the old one left', async () => {
    const home = mkdtempSync(join(tmpdir(), 'spin-ledger-'));
    try {
      const old = new ProcessLedger(home);
      const child = sleeper();
      old.add(child.pid!, 'kernel', 'ses_1');
      const saved = JSON.parse(readFileSync(old.path, 'utf8')) as {
        processes: { pid: number; pgid: number; startTime: string }[];
      };
      expect(saved.processes).toEqual([
        expect.objectContaining({
          pid: child.pid,
          pgid: child.pid,
          startTime: procStat(child.pid!)!.startTime,
        }),
      ]);
      // the old runtime dies without cleaning up; the next one reaps
      const reaped = new ProcessLedger(home).reapPrevious(logger);
      expect(reaped.map((p) => p.pid)).toEqual([child.pid]);
      await once(child, 'exit');
      expect(child.signalCode).toBe('SIGKILL');
      expect(JSON.parse(readFileSync(old.path, 'utf8')).processes).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('leaves alone a PID that now belongs to another process (start time differs)', () => {
    const home = mkdtempSync(join(tmpdir(), 'spin-ledger-'));
    try {
      const other = sleeper();
      const stat = procStat(other.pid!)!;
      const ledger = new ProcessLedger(home);
      mkdirSync(dirname(ledger.path), { recursive: true });
      writeFileSync(
        ledger.path,
        JSON.stringify({
          runtimePid: 1,
          processes: [
            { pid: other.pid, pgid: stat.pgid, startTime: '1', kind: 'kernel', sid: 's' },
          ],
        }),
      );
      expect(ledger.reapPrevious(logger)).toEqual([]);
      expect(running(other)).toBe(true);
      expect(procStat(other.pid!)).not.toBeNull();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('forgets a process once it exited', () => {
    const home = mkdtempSync(join(tmpdir(), 'spin-ledger-'));
    try {
      const ledger = new ProcessLedger(home);
      const child = sleeper();
      const forget = ledger.add(child.pid!, 'process', 's');
      forget();
      expect(JSON.parse(readFileSync(ledger.path, 'utf8')).processes).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
