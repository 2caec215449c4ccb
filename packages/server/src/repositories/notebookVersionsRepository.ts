import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { notebookVersions } from '../db/schema.js';

/** A kept version of a notebook. */
export type NotebookVersionRow = typeof notebookVersions.$inferSelect;
/** A version without its content, for lists. */
export type NotebookVersionSummaryRow = Omit<NotebookVersionRow, 'cells' | 'settings'> & {
  cellCount: number;
};

/** notebook_versions access. */
export const notebookVersionsRepository = {
  async insert(db: Db, row: typeof notebookVersions.$inferInsert): Promise<void> {
    await db.insert(notebookVersions).values(row);
  },
  async get(db: Db, notebookId: string, version: number): Promise<NotebookVersionRow | null> {
    const [row] = await db
      .select()
      .from(notebookVersions)
      .where(
        and(eq(notebookVersions.notebookId, notebookId), eq(notebookVersions.version, version)),
      );
    return row ?? null;
  },
  /** Newest first, `limit` from `offset`, with the total count. */
  async page(
    db: Db,
    notebookId: string,
    { limit, offset }: { limit: number; offset: number },
  ): Promise<{ rows: NotebookVersionSummaryRow[]; total: number }> {
    const where = eq(notebookVersions.notebookId, notebookId);
    const rows = await db
      .select({
        notebookId: notebookVersions.notebookId,
        version: notebookVersions.version,
        title: notebookVersions.title,
        savedBy: notebookVersions.savedBy,
        restoredFrom: notebookVersions.restoredFrom,
        savedAt: notebookVersions.savedAt,
        cellCount: sql<number>`jsonb_array_length(${notebookVersions.cells})::int`,
      })
      .from(notebookVersions)
      .where(where)
      .orderBy(desc(notebookVersions.version))
      .limit(limit)
      .offset(offset);
    const [total] = await db.select({ n: count() }).from(notebookVersions).where(where);
    return { rows, total: Number(total?.n ?? 0) };
  },
};
