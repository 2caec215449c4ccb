/**
 * A per-process cache of what authorization derives from rows that rarely change — a workspace
 * chain with one user's grants, an execution session, a runtime's keys — each entry stamped with
 * the database's authorization epoch (table `authz_epoch`) it was read under.
 *
 * Why this is safe across server processes: every write that can change an authorization
 * decision (workspace_members, workspaces, users' org role, exec_sessions, runtimes; insert,
 * update or delete) bumps the epoch by trigger in its own transaction (migration 0010), and
 * every hot-path authorization reads the current epoch in the same statement as the resource it
 * authorizes. An entry is used only when its epoch equals the one just read, so the first
 * request after a committed change — in this process or any other — misses and re-reads.
 * An entry is stored with the epoch read *before* its rows were loaded: a change committed in
 * between leaves it stale-stamped, so it is never used.
 */
export class EpochCache<V> {
  private readonly entries = new Map<string, { epoch: number; value: V }>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The value cached for `key` under `epoch`, if any. */
  get(key: string, epoch: number): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.epoch !== epoch) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  /**
   * The entry for `key` whatever its epoch, for a caller that checks the epoch later against a
   * read it makes anyway (a cookie session checked by the request's authorization read).
   */
  peek(key: string): { epoch: number; value: V } | undefined {
    return this.entries.get(key);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  set(key: string, epoch: number, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { epoch, value });
    // Map iteration is insertion order: drop the oldest beyond the bound.
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  /** The cached value, or `load()`'s (then cached) when missing or stamped with another epoch. */
  async getOrLoad(key: string, epoch: number | null, load: () => Promise<V>): Promise<V> {
    if (epoch === null) return load();
    const hit = this.get(key, epoch);
    if (hit !== undefined) return hit;
    const value = await load();
    this.set(key, epoch, value);
    return value;
  }
}
