import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { execSessions, notebooks, sessionParticipants, users } from '../db/schema.js';
import { authzEpochColumn, prepared } from './preparedStatements.js';

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
  /** The session of notebook+runtime, if one was opened. */
  async find(db: Db, notebookId: string, runtimeId: string): Promise<ExecSessionRow | null> {
    const [found] = await db
      .select()
      .from(execSessions)
      .where(and(eq(execSessions.notebookId, notebookId), eq(execSessions.runtimeId, runtimeId)));
    return found ?? null;
  },
  /** The session and its notebook's workspace (one query, for authorization). */
  async getWithWorkspace(
    db: Db,
    sid: string,
  ): Promise<{ session: ExecSessionRow; workspaceId: string; epoch: number } | null> {
    const statement = prepared(db, 'exec_sessions_get_with_workspace', (d, name) =>
      d
        .select({
          session: execSessions,
          workspaceId: notebooks.workspaceId,
          epoch: authzEpochColumn(),
        })
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
  /** Record that `userId` attached (an access token was minted for them) now. */
  async touchParticipant(db: Db, sid: string, userId: string): Promise<void> {
    await db
      .insert(sessionParticipants)
      .values({ sid, userId })
      .onConflictDoUpdate({
        target: [sessionParticipants.sid, sessionParticipants.userId],
        set: { lastAttachedAt: sql`now()` },
      });
  },
  /** Participants with their names, first to attach first. */
  async participants(db: Db, sid: string) {
    return db
      .select({
        userId: sessionParticipants.userId,
        name: users.name,
        firstAttachedAt: sessionParticipants.firstAttachedAt,
        lastAttachedAt: sessionParticipants.lastAttachedAt,
      })
      .from(sessionParticipants)
      .innerJoin(users, eq(users.id, sessionParticipants.userId))
      .where(eq(sessionParticipants.sid, sid))
      .orderBy(asc(sessionParticipants.firstAttachedAt), asc(sessionParticipants.userId));
  },
  /**
   * Make `ownerId` the owner if the epoch is still `fromEpoch` (compare-and-set, so two
   * concurrent handoffs cannot both win); returns the updated row or null.
   */
  async handOff(
    db: Db,
    sid: string,
    fromEpoch: number,
    ownerId: string,
  ): Promise<ExecSessionRow | null> {
    const [row] = await db
      .update(execSessions)
      .set({ ownerId, ownerEpoch: fromEpoch + 1 })
      .where(and(eq(execSessions.sid, sid), eq(execSessions.ownerEpoch, fromEpoch)))
      .returning();
    return row ?? null;
  },
};
