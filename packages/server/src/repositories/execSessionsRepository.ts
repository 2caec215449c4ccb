import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { execSessions, notebooks } from '../db/schema.js';
import { prepared } from './preparedStatements.js';

/** An execution session row (one per notebook × runtime). */
export type ExecSessionRow = typeof execSessions.$inferSelect;

/** exec_sessions access. */
export const execSessionsRepository = {
  async get(db: Db, sid: string): Promise<ExecSessionRow | null> {
    const statement = prepared(db, 'exec_sessions_get', (d, name) =>
      d
        .select()
        .from(execSessions)
        .where(eq(execSessions.sid, sql.placeholder('sid')))
        .prepare(name),
    );
    const [row] = await statement.execute({ sid });
    return row ?? null;
  },
  /** The session and its notebook's workspace (one query, for authorization). */
  async getWithWorkspace(
    db: Db,
    sid: string,
  ): Promise<{ session: ExecSessionRow; workspaceId: string } | null> {
    const statement = prepared(db, 'exec_sessions_get_with_workspace', (d, name) =>
      d
        .select({ session: execSessions, workspaceId: notebooks.workspaceId })
        .from(execSessions)
        .innerJoin(notebooks, eq(notebooks.id, execSessions.notebookId))
        .where(eq(execSessions.sid, sql.placeholder('sid')))
        .prepare(name),
    );
    const [row] = await statement.execute({ sid });
    return row ?? null;
  },
  /** Return the session for notebook+runtime, creating it (race-free) when missing. */
  async getOrCreate(
    db: Db,
    row: { sid: string; notebookId: string; runtimeId: string; createdBy: string },
  ): Promise<ExecSessionRow> {
    await db.insert(execSessions).values(row).onConflictDoNothing();
    const [found] = await db
      .select()
      .from(execSessions)
      .where(
        and(eq(execSessions.notebookId, row.notebookId), eq(execSessions.runtimeId, row.runtimeId)),
      );
    return found!;
  },
};
