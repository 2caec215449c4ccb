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
