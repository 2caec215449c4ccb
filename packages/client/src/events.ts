/** Something that can be released (VS Code style). */
export interface Disposable {
  dispose(): void;
}

/** A tiny typed event emitter: `onDidX(listener)` returns a Disposable. */
export class Emitter<T> {
  private listeners = new Set<(value: T) => void>();

  readonly event = (listener: (value: T) => void): Disposable => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch (err) {
        // a failing listener must not break delivery to the others
        console.error('listener failed', err);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
