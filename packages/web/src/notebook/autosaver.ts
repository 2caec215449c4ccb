/** Save indicator states. `pending` = edits waiting for the debounce. */
export type SaveState = 'saved' | 'pending' | 'saving' | 'error';

export interface AutosaverOptions {
  delayMs: number;
  /** Persist the current document; it reads the latest state itself. */
  save: () => Promise<void>;
  onStateChange?: (state: SaveState, error: unknown) => void;
}

/**
 * Debounced, serialised saving: edits mark the document dirty, a save starts `delayMs` after
 * the last edit, never two saves at once, and edits made during a save trigger another one.
 * `flush()` saves now (before running a cell, on page hide) and reports whether it worked.
 */
export class Autosaver {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private dirty = false;
  private disposed = false;
  private _state: SaveState = 'saved';

  constructor(private readonly opts: AutosaverOptions) {}

  get state(): SaveState {
    return this._state;
  }

  /** Whether there are edits not yet handed to `save`. */
  get isDirty(): boolean {
    return this.dirty;
  }

  markDirty(): void {
    if (this.disposed) return;
    this.dirty = true;
    if (this._state !== 'saving') this.setState('pending', null);
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.opts.delayMs);
  }

  /** Forget unsaved edits (after the document was reloaded from the server). */
  reset(): void {
    this.clearTimer();
    this.dirty = false;
    if (!this.inFlight) this.setState('saved', null);
  }

  /** Save now if dirty. Resolves true when nothing is left unsaved. */
  async flush(): Promise<boolean> {
    this.clearTimer();
    while (this.inFlight) await this.inFlight;
    if (!this.dirty) return this._state !== 'error';
    this.dirty = false;
    this.setState('saving', null);
    let ok = true;
    this.inFlight = this.opts.save().then(
      () => this.setState(this.dirty ? 'pending' : 'saved', null),
      (err: unknown) => {
        ok = false;
        this.dirty = true; // keep the edits: the next flush retries them
        this.setState('error', err);
      },
    );
    await this.inFlight;
    this.inFlight = null;
    return ok && !this.dirty;
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private setState(state: SaveState, error: unknown): void {
    this._state = state;
    this.opts.onStateChange?.(state, error);
  }
}
