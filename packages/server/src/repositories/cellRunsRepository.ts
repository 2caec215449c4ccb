import { eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { cellRuns } from '../db/schema.js';

/** A cell's latest verified run. */
export type CellRunRow = typeof cellRuns.$inferSelect;

/** A run to keep as its cell's latest. */
export type NewCellRun = Omit<CellRunRow, 'recordedAt'>;

/** The upsert of a batch of runs, its values joined with `from` (e.g. a lock CTE). */
function upsertManySql(runs: readonly NewCellRun[], from: SQL): SQL | null {
  const latest = new Map<string, NewCellRun>();
  for (const run of runs) {
    const key = `${run.notebookId}\u0000${run.cellId}`;
    const seen = latest.get(key);
    if (!seen || seen.startedAt <= run.startedAt) latest.set(key, run);
  }
  if (latest.size === 0) return null;
  const values = sql.join(
    [...latest.values()].map(
      (r) =>
        sql`(${r.notebookId}, ${r.cellId}, ${r.jti}, ${r.status}, ${r.startedAt.toISOString()}::timestamptz, ${r.endedAt.toISOString()}::timestamptz, ${r.executionCount}::int, ${r.exitCode}::int, ${JSON.stringify(r.outputs)}::json)`,
    ),
    sql`, `,
  );
  return sql`
      insert into cell_runs (notebook_id, cell_id, jti, status, started_at, ended_at, execution_count, exit_code, outputs)
      select v.* from ${from}(values ${values})
        as v(notebook_id, cell_id, jti, status, started_at, ended_at, execution_count, exit_code, outputs)
      where exists (select 1 from notebooks n where n.id = v.notebook_id)
      on conflict (notebook_id, cell_id) do update set
        jti = excluded.jti, status = excluded.status, started_at = excluded.started_at,
        ended_at = excluded.ended_at, execution_count = excluded.execution_count,
        exit_code = excluded.exit_code, outputs = excluded.outputs, recorded_at = now()
      where cell_runs.started_at <= excluded.started_at`;
}

/** cell_runs access. */
export const cellRunsRepository = {
  async listForNotebook(db: Db, notebookId: string): Promise<CellRunRow[]> {
    return db.select().from(cellRuns).where(eq(cellRuns.notebookId, notebookId));
  },
  /**
   * {@link upsertIfNewer} for a batch, in one statement: runs of deleted notebooks are skipped
   * (the run is still audited), and of several runs of one cell the latest started is kept.
   */
  async upsertManyIfNewer(db: Db, runs: readonly NewCellRun[]): Promise<void> {
    const statement = upsertManySql(runs, sql``);
    if (statement) await db.execute(statement);
  },
  /**
   * {@link upsertManyIfNewer} as a CTE of an audit append (a receipt batch's one statement),
   * taking the append lock before it locks a row; null when there is nothing to keep.
   */
  upsertManyIfNewerCte(runs: readonly NewCellRun[]): SQL | null {
    const statement = upsertManySql(runs, sql`append_lock, `);
    return statement && sql`cell_runs_kept as (${statement})`;
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
