import { join } from 'node:path';
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

/**
 * The runs in flight, in `$SPIN_HOME/state/runs.json`: written when a run starts and when it
 * ends, so that after a crash the next life of the runtime knows which runs never got their
 * `cell_ended` and ends each with an `aborted` receipt (DESIGN.md §1: every run that started
 * ends in the audit log).
 */
export class RunLedger {
  private readonly file: StateFile<InflightRun[]>;
  private readonly live = new Map<string, InflightRun>();
  private readonly previous: InflightRun[];

  constructor(home: string) {
    this.file = new StateFile(join(home, 'state', 'runs.json'), () => []);
    const read = this.file.read();
    this.previous = Array.isArray(read) ? read : [];
  }

  /** Runs a previous life left in flight (read once, at construction). */
  leftInFlight(): InflightRun[] {
    return [...this.previous];
  }

  started(run: InflightRun): void {
    this.live.set(run.jti, run);
    this.flush();
  }

  ended(jti: string): void {
    if (this.live.delete(jti)) this.flush();
  }

  /** Forget the previous life's runs once each got its `aborted` end. */
  settledPrevious(): void {
    this.previous.length = 0;
    this.flush();
  }

  private flush(): void {
    this.file.write([...this.previous, ...this.live.values()]);
  }
}
