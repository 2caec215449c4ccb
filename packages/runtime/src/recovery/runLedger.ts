import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../security/secureFiles.js';
import { StateFile } from './stateFile.js';

/** A run that started and has not ended yet: what its abort receipt needs. */
export interface InflightRun {
  sid: string;
  jti: string;
  cell: string;
  sub: string;
  notebook: string;
  startedAt: string;
  /** seq of its `cell_started` event. */
  seqFirst: number;
}

type Line = { started: InflightRun } | { ended: string };

/**
 * The runs in flight, in `$SPIN_HOME/state/runs.jsonl`: a line when a run starts and one when it
 * ends, so that after a crash the next life of the runtime knows which runs never got their
 * `cell_ended` and ends each with an `aborted` receipt (DESIGN.md §1: every run that started
 * ends in the audit log).
 *
 * Append-only, one `write` per line: what it must survive is the runtime process being killed,
 * and the page cache outlives the process (no fsync, like the other state files). Rewriting a
 * whole JSON file per run cost 2–5 ms a cell here — ext4 flushes a file renamed over another —
 * on the path of every run (issue 8 acceptance 8, the fixed cost per cell). The file is
 * compacted (temp file + rename) at start and once it holds many ended runs.
 */
export class RunLedger {
  private readonly path: string;
  private readonly live = new Map<string, InflightRun>();
  private readonly previous: InflightRun[];
  private fd: number;
  private lines = 0;
  private closed = false;

  constructor(home: string) {
    const dir = join(home, 'state');
    this.path = join(dir, 'runs.jsonl');
    const inflight = new Map<string, InflightRun>();
    // runs.json: the whole-file ledger of earlier versions
    const legacy = new StateFile<unknown>(join(dir, 'runs.json'), () => []).read();
    if (Array.isArray(legacy)) for (const r of legacy as InflightRun[]) inflight.set(r.jti, r);
    if (existsSync(this.path)) {
      for (const text of readFileSync(this.path, 'utf8').split('\n')) {
        if (!text) continue;
        try {
          const line = JSON.parse(text) as Partial<Record<'started' | 'ended', unknown>>;
          const started = line.started as InflightRun | undefined;
          if (started && typeof started.jti === 'string') inflight.set(started.jti, started);
          else if (typeof line.ended === 'string') inflight.delete(line.ended);
        } catch {
          // a torn last line (killed mid-write): that start or end was never acted on
        }
      }
    }
    this.previous = [...inflight.values()];
    ensurePrivateDir(dir);
    this.fd = this.compact();
    rmSync(join(dir, 'runs.json'), { force: true });
  }

  /** Runs a previous life left in flight (read once, at construction). */
  leftInFlight(): InflightRun[] {
    return [...this.previous];
  }

  started(run: InflightRun): void {
    this.live.set(run.jti, run);
    this.append({ started: run });
  }

  ended(jti: string): void {
    if (this.live.delete(jti)) this.append({ ended: jti });
  }

  /** Forget the previous life's runs once each got its `aborted` end. */
  settledPrevious(): void {
    for (const run of this.previous.splice(0)) this.append({ ended: run.jti });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private append(line: Line): void {
    if (this.closed) return; // a run outliving shutdown: the next life finds it in flight
    writeSync(this.fd, JSON.stringify(line) + '\n');
    this.lines++;
    const open = this.previous.length + this.live.size;
    if (this.lines > 1000 && this.lines > 4 * open) {
      closeSync(this.fd);
      this.fd = this.compact();
    }
  }

  /** Rewrite the file with only the runs in flight; returns the fd to append to. */
  private compact(): number {
    const runs = [...this.previous, ...this.live.values()];
    const file = new StateFile<string>(this.path, () => '');
    file.writeText(runs.map((run) => JSON.stringify({ started: run }) + '\n').join(''));
    this.lines = runs.length;
    return openSync(this.path, 'a', 0o600);
  }
}
