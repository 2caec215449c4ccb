import { and, asc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { notebooks, programs, runtimes, users } from '../db/schema.js';
import { authzEpochColumn, prepared } from './preparedStatements.js';

/** A compiled program row. */
export type ProgramRow = typeof programs.$inferSelect;

/** programs access. */
export const programsRepository = {
  async insert(db: Db, row: typeof programs.$inferInsert): Promise<void> {
    await db.insert(programs).values(row);
  },
  /** The insert of {@link insert} as a statement to embed (the compile's one write). */
  insertQuery(db: Db, row: typeof programs.$inferInsert): SQL {
    return db.insert(programs).values(row).getSQL();
  },
  async get(db: Db, jti: string): Promise<ProgramRow | null> {
    const statement = prepared(db, 'programs_get', (d, name) =>
      d
        .select()
        .from(programs)
        .where(eq(programs.jti, sql.placeholder('jti')))
        .prepare(name),
    );
    const [row] = await statement.execute({ jti });
    return row ?? null;
  },
  /** The program and its notebook's workspace (one query, for authorization). */
  async getWithWorkspace(
    db: Db,
    jti: string,
  ): Promise<{ program: ProgramRow; workspaceId: string; epoch: number } | null> {
    const statement = prepared(db, 'programs_get_with_workspace', (d, name) =>
      d
        .select({
          program: programs,
          workspaceId: notebooks.workspaceId,
          epoch: authzEpochColumn(),
        })
        .from(programs)
        .innerJoin(notebooks, eq(notebooks.id, programs.notebookId))
        .where(eq(programs.jti, sql.placeholder('jti')))
        .prepare(name),
    );
    const [row] = await statement.execute({ jti });
    return row ?? null;
  },
  /**
   * Record the receipt's status if none is recorded yet; false when another receipt won (the
   * conditional update is the lock: the row is not read again).
   */
  async markReceiptIfPending(
    db: Db,
    jti: string,
    status: string,
    at: Date,
    run?: { startedAt: Date; endedAt: Date },
  ): Promise<boolean> {
    const rows = await db
      .update(programs)
      .set({
        receiptStatus: status,
        receiptAt: at,
        ...(run ? { runStartedAt: run.startedAt, runEndedAt: run.endedAt } : {}),
      })
      .where(and(eq(programs.jti, jti), isNull(programs.receiptStatus)))
      .returning({ jti: programs.jti });
    return rows.length > 0;
  },
  /** Of `jtis`, those compiled for session `sid` whose receipt has not been recorded. */
  async pendingIn(db: Db, sid: string, jtis: readonly string[]): Promise<string[]> {
    if (jtis.length === 0) return [];
    const rows = await db
      .select({ jti: programs.jti })
      .from(programs)
      .where(
        and(
          eq(programs.sid, sid),
          inArray(programs.jti, [...jtis]),
          isNull(programs.receiptStatus),
        ),
      );
    return rows.map((r) => r.jti);
  },
  async getForUpdate(db: Db, jti: string): Promise<ProgramRow | null> {
    const [row] = await db.select().from(programs).where(eq(programs.jti, jti)).for('update');
    return row ?? null;
  },
  async markReceipt(db: Db, jti: string, status: string, at: Date): Promise<void> {
    await db
      .update(programs)
      .set({ receiptStatus: status, receiptAt: at })
      .where(eq(programs.jti, jti));
  },
  /** Programs of a session with who compiled them and on which runtime, oldest first. */
  async timelineOf(db: Db, sid: string) {
    return db
      .select({
        program: programs,
        userName: users.name,
        runtimeName: runtimes.name,
      })
      .from(programs)
      .leftJoin(users, eq(users.id, programs.sub))
      .leftJoin(runtimes, eq(runtimes.id, programs.runtimeId))
      .where(eq(programs.sid, sid))
      .orderBy(asc(programs.issuedAt), asc(programs.jti));
  },
};
