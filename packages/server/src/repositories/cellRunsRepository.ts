import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { cellRuns } from '../db/schema.js';

/** A cell's latest verified run. */
export type CellRunRow = typeof cellRuns.$inferSelect;

/** cell_runs access. */
export const cellRunsRepository = {
  async listForNotebook(db: Db, notebookId: string): Promise<CellRunRow[]> {
    return db.select().from(cellRuns).where(eq(cellRuns.notebookId, notebookId));
  },
  /**
   * {@link upsertIfNewer} for a batch, in one statement: runs of deleted notebooks are skipped
   * (the run is still audited), and of several runs of one cell the latest started is kept.
   */
  async upsertManyIfNewer(db: Db, runs: readonly Omit<CellRunRow, 'recordedAt'>[]): Promise<void> {
    const latest = new Map<string, Omit<CellRunRow, 'recordedAt'>>();
    for (const run of runs) {
      const key = `${run.notebookId}\u0000${run.cellId}`;
      const seen = latest.get(key);
      if (!seen || seen.startedAt <= run.startedAt) latest.set(key, run);
    }
    if (latest.size === 0) return;
    const values = sql.join(
      [...latest.values()].map(
        (r) =>
          sql`(${r.notebookId}, ${r.cellId}, ${r.jti}, ${r.status}, ${r.startedAt.toISOString()}::timestamptz, ${r.endedAt.toISOString()}::timestamptz, ${r.executionCount}::int, ${r.exitCode}::int, ${JSON.stringify(r.outputs)}::json)`,
      ),
      sql`, `,
    );
    await db.execute(sql`
      insert into cell_runs (notebook_id, cell_id, jti, status, started_at, ended_at, execution_count, exit_code, outputs)
      select v.* from (values ${values})
        as v(notebook_id, cell_id, jti, status, started_at, ended_at, execution_count, exit_code, outputs)
      where exists (select 1 from notebooks n where n.id = v.notebook_id)
      on conflict (notebook_id, cell_id) do update set
        jti = excluded.jti, status = excluded.status, started_at = excluded.started_at,
        ended_at = excluded.ended_at, execution_count = excluded.execution_count,
        exit_code = excluded.exit_code, outputs = excluded.outputs, recorded_at = now()
      where cell_runs.started_at <= excluded.started_at`);
  },
  /** Store a run unless the cell already has one that started later. */
  async upsertIfNewer(db: Db, row: Omit<CellRunRow, 'recordedAt'>): Promise<void> {
    await db
      .insert(cellRuns)
      .values(row)
      .onConflictDoUpdate({
        target: [cellRuns.notebookId, cellRuns.cellId],
        set: {
          jti: sql`excluded.jti`,
          status: sql`excluded.status`,
          startedAt: sql`excluded.started_at`,
          endedAt: sql`excluded.ended_at`,
          executionCount: sql`excluded.execution_count`,
          exitCode: sql`excluded.exit_code`,
          outputs: sql`excluded.outputs`,
          recordedAt: sql`now()`,
        },
        setWhere: sql`${cellRuns.startedAt} <= excluded.started_at`,
      });
  },
};
