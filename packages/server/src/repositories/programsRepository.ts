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
  /**
   * {@link markReceiptIfPending} for a batch, in one statement: returns the jtis it marked (the
   * others already had a receipt — of two racing receipts, one records, one is a duplicate).
   */
  async markReceiptsIfPending(
    db: Db,
    marks: readonly { jti: string; status: string; at: Date; startedAt: Date; endedAt: Date }[],
  ): Promise<Set<string>> {
    if (marks.length === 0) return new Set();
    const values = sql.join(
      marks.map(
        (m) =>
          sql`(${m.jti}, ${m.status}, ${m.at.toISOString()}::timestamptz, ${m.startedAt.toISOString()}::timestamptz, ${m.endedAt.toISOString()}::timestamptz)`,
      ),
      sql`, `,
    );
    const { rows } = (await db.execute(sql`
      update programs as p
      set receipt_status = v.status, receipt_at = v.at, run_started_at = v.started, run_ended_at = v.ended
      from (values ${values}) as v(jti, status, at, started, ended)
      where p.jti = v.jti and p.receipt_status is null
      returning p.jti`)) as unknown as { rows: { jti: string }[] };
    return new Set(rows.map((r) => r.jti));
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
