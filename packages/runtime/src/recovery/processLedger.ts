import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { StateFile } from './stateFile.js';

/** One process the runtime started (a kernel or an integration's child process). */
export interface LedgerProcess {
  pid: number;
  /** Its process group (kernels and shell cells run in their own). */
  pgid: number;
  /** Start time from /proc/<pid>/stat (clock ticks since boot): tells a reused PID apart. */
  startTime: string;
  kind: 'kernel' | 'process';
  sid: string;
}

interface LedgerContent {
  /** PID of the runtime that wrote it. */
  runtimePid: number;
  processes: LedgerProcess[];
}

/** Fields 5 (pgrp) and 22 (starttime) of /proc/<pid>/stat, or null when there is no such process. */
export function procStat(pid: number): { pgid: number; startTime: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): pgrp is field 5, starttime field 22
    const pgid = Number(rest[2]);
    const startTime = rest[19];
    if (!Number.isInteger(pgid) || !startTime) return null;
    return { pgid, startTime };
  } catch {
    return null;
  }
}

/**
 * The PIDs and process groups of everything the runtime spawned, kept in
 * `$SPIN_HOME/state/processes.json`. A runtime that was killed (SIGKILL, OOM, power cut of a
 * container) cannot shut its kernels down; its next life reads the ledger and kills the process
 * groups still running — after checking, by start time, that each PID is still the process it
 * recorded and not an unrelated one that got the number since.
 */
export class ProcessLedger {
  private readonly file: StateFile<LedgerContent>;
  private readonly live = new Map<number, LedgerProcess>();

  constructor(home: string) {
    this.file = new StateFile(join(home, 'state', 'processes.json'), () => ({
      runtimePid: 0,
      processes: [],
    }));
  }

  /** Where the ledger lives (tests read it to check the old processes are gone). */
  get path(): string {
    return this.file.path;
  }

  /**
   * Kill what a previous life of the runtime left running, then start an empty ledger.
   * Returns the processes that were reaped.
   */
  reapPrevious(logger: Logger): LedgerProcess[] {
    const previous = this.file.read();
    const reaped: LedgerProcess[] = [];
    for (const p of previous.processes) {
      const now = procStat(p.pid);
      if (!now || now.startTime !== p.startTime) continue; // gone, or the PID was reused
      // a group only when the process leads it (spawned detached): never a group it merely joined
      for (const target of p.pgid === p.pid ? [-p.pgid, p.pid] : [p.pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      reaped.push(p);
    }
    if (reaped.length > 0) {
      logger.warn(
        { reaped: reaped.map(({ pid, kind, sid }) => ({ pid, kind, sid })) },
        'killed processes left by a previous runtime',
      );
    }
    this.flush();
    return reaped;
  }

  /** Record a process the runtime just spawned; returns the function that forgets it. */
  add(pid: number, kind: LedgerProcess['kind'], sid: string): () => void {
    const stat = procStat(pid);
    if (!stat) return () => undefined; // exited already
    this.live.set(pid, { pid, pgid: stat.pgid, startTime: stat.startTime, kind, sid });
    this.flush();
    return () => {
      if (this.live.delete(pid)) this.flush();
    };
  }

  /** A recorded process now works for session `sid` (a pre-started kernel was claimed). */
  rebind(pid: number, sid: string): void {
    const p = this.live.get(pid);
    if (!p || p.sid === sid) return;
    p.sid = sid;
    this.flush();
  }

  private flush(): void {
    this.file.write({ runtimePid: process.pid, processes: [...this.live.values()] });
  }
}
