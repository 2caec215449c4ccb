import { and, count, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { CellInput, NotebookSettings } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { notebooks } from '../db/schema.js';
import { authzEpochColumn, prepared } from './preparedStatements.js';

/** A notebook row. */
export type NotebookRow = typeof notebooks.$inferSelect;
/** A notebook row without its cells (lists, authorization). */
export type NotebookSummaryRow = Pick<NotebookRow, 'id' | 'workspaceId' | 'title' | 'updatedAt'>;

const summaryColumns = {
  id: notebooks.id,
  workspaceId: notebooks.workspaceId,
  title: notebooks.title,
  updatedAt: notebooks.updatedAt,
};

/** A notebook in search results. */
export type NotebookListRow = NotebookSummaryRow & Pick<NotebookRow, 'tags' | 'version'>;

/** `text` as a LIKE pattern matching itself anywhere (`%`, `_` and `\` taken literally). */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** notebooks access. */
export const notebooksRepository = {
  async insert(db: Db, row: typeof notebooks.$inferInsert): Promise<NotebookRow> {
    const [created] = await db.insert(notebooks).values(row).returning();
    return created!;
  },
  async get(db: Db, id: string): Promise<NotebookRow | null> {
    const [row] = await db.select().from(notebooks).where(eq(notebooks.id, id));
    return row ?? null;
  },
  /**
   * The notebook and the authorization epoch (policies/authzCache.ts), read in one statement:
   * the one read a hot-path authorization of a notebook needs.
   */
  async getWithEpoch(db: Db, id: string): Promise<{ notebook: NotebookRow; epoch: number } | null> {
    const statement = prepared(db, 'notebooks_get_with_epoch', (d, name) =>
      d
        .select({ notebook: notebooks, epoch: authzEpochColumn() })
        .from(notebooks)
        .where(eq(notebooks.id, sql.placeholder('id')))
        .prepare(name),
    );
    const [row] = await statement.execute({ id });
    return row ?? null;
  },
  /** The workspace a notebook belongs to, without reading its cells. */
  async workspaceOf(db: Db, id: string): Promise<string | null> {
    const statement = prepared(db, 'notebooks_workspace_of', (d, name) =>
      d
        .select({ workspaceId: notebooks.workspaceId })
        .from(notebooks)
        .where(eq(notebooks.id, sql.placeholder('id')))
        .prepare(name),
    );
    const [row] = await statement.execute({ id });
    return row?.workspaceId ?? null;
  },
  /** Read and lock the row until the surrounding transaction ends. */
  async getForUpdate(db: Db, id: string): Promise<NotebookRow | null> {
    const [row] = await db.select().from(notebooks).where(eq(notebooks.id, id)).for('update');
    return row ?? null;
  },
  async listByWorkspace(db: Db, workspaceId: string): Promise<NotebookSummaryRow[]> {
    return db
      .select(summaryColumns)
      .from(notebooks)
      .where(eq(notebooks.workspaceId, workspaceId))
      .orderBy(desc(notebooks.updatedAt));
  },
  /**
   * Notebooks of a workspace, newest first: `q` matches the title or any cell's source
   * (case-insensitive substring), `tag` one of its tags; `limit` from `offset`, with the total.
   */
  async search(
    db: Db,
    workspaceId: string,
    query: { q?: string | undefined; tag?: string | undefined; limit: number; offset: number },
  ): Promise<{ rows: NotebookListRow[]; total: number }> {
    const conditions: SQL[] = [eq(notebooks.workspaceId, workspaceId)];
    if (query.q) {
      const pattern = containsPattern(query.q);
      conditions.push(
        or(
          ilike(notebooks.title, pattern),
          sql`exists (select 1 from jsonb_array_elements(${notebooks.cells}) as cell where cell->>'source' ilike ${pattern})`,
        )!,
      );
    }
    if (query.tag) conditions.push(sql`${notebooks.tags} @> jsonb_build_array(${query.tag}::text)`);
    const where = and(...conditions);
    const rows = await db
      .select({ ...summaryColumns, tags: notebooks.tags, version: notebooks.version })
      .from(notebooks)
      .where(where)
      .orderBy(desc(notebooks.updatedAt), notebooks.id)
      .limit(query.limit)
      .offset(query.offset);
    const [total] = await db.select({ n: count() }).from(notebooks).where(where);
    return { rows, total: Number(total?.n ?? 0) };
  },
  async setTags(db: Db, id: string, tags: string[]): Promise<NotebookRow | null> {
    const [row] = await db
      .update(notebooks)
      .set({ tags, updatedAt: new Date() })
      .where(eq(notebooks.id, id))
      .returning();
    return row ?? null;
  },
  /** Save title/cells/settings if the version still matches; returns null when it moved on. */
  async update(
    db: Db,
    id: string,
    expectedVersion: number,
    patch: { title: string; cells: CellInput[]; settings: Partial<NotebookSettings> },
  ): Promise<NotebookRow | null> {
    const [row] = await db
      .update(notebooks)
      .set({ ...patch, version: expectedVersion + 1, updatedAt: new Date() })
      .where(and(eq(notebooks.id, id), eq(notebooks.version, expectedVersion)))
      .returning();
    return row ?? null;
  },
};
