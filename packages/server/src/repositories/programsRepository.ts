import { and, asc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { notebooks, programs, runtimes, users } from '../db/schema.js';
import type { AppendPrelude } from './auditRepository.js';
import { authzEpochColumn, prepared } from './preparedStatements.js';

/** A compiled program row. */
export type ProgramRow = typeof programs.$inferSelect;

/** A receipt to record on its program row. */
export interface ReceiptMark {
  jti: string;
  status: string;
  at: Date;
  startedAt: Date;
  endedAt: Date;
}

function markValues(marks: readonly ReceiptMark[]): SQL {
  return sql.join(
    marks.map(
      (m) =>
        sql`(${m.jti}, ${m.status}, ${m.at.toISOString()}::timestamptz, ${m.startedAt.toISOString()}::timestamptz, ${m.endedAt.toISOString()}::timestamptz)`,
    ),
    sql`, `,
  );
}

/** programs access. */
export const programsRepository = {
  async insert(db: Db, row: typeof programs.$inferInsert): Promise<void> {
    await db.insert(programs).values(row);
  },
  /** The insert of {@link insert}, carried by the compile's audit append (its one write). */
  insertPrelude(db: Db, row: typeof programs.$inferInsert): AppendPrelude {
    return { ctes: sql`program_row as (${db.insert(programs).values(row).getSQL()})` };
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
  async markReceiptsIfPending(db: Db, marks: readonly ReceiptMark[]): Promise<Set<string>> {
    if (marks.length === 0) return new Set();
    const { rows } = (await db.execute(sql`
      update programs as p
      set receipt_status = v.status, receipt_at = v.at, run_started_at = v.started, run_ended_at = v.ended
      from (values ${markValues(marks)}) as v(jti, status, at, started, ended)
      where p.jti = v.jti and p.receipt_status is null
      returning p.jti`)) as unknown as { rows: { jti: string }[] };
    return new Set(rows.map((r) => r.jti));
  },
  /**
   * {@link markReceiptsIfPending} as the prelude of an audit append (a receipt batch's one
   * statement), with `more` CTEs beside it (the batch's cell runs), all or nothing:
   * `receipts_all_pending` raises (SQLSTATE SPN01, `isRequireFailure`) unless every mark found
   * its program without a receipt, aborting the whole statement. With `confirm` (receipts
   * authorized from caches, `Grant.confirm`), `receipts_confirmed` raises too unless the
   * authorization epoch is still `confirm.epoch` and each notebook still in its workspace.
   */
  markAllPendingPrelude(
    marks: readonly ReceiptMark[],
    more: SQL | null,
    confirm: {
      epoch: number;
      notebooks: readonly { notebookId: string; workspaceId: string }[];
    } | null,
  ): AppendPrelude {
    const confirmed =
      confirm &&
      sql`, receipts_confirmed as (
        select spin_require(
          (select epoch from authz_epoch where id = 1) = ${confirm.epoch}::bigint
          and (select count(*) from notebooks n
            join (values ${sql.join(
              confirm.notebooks.map((c) => sql`(${c.notebookId}, ${c.workspaceId})`),
              sql`, `,
            )}) as c(notebook_id, workspace_id)
            on n.id = c.notebook_id and n.workspace_id = c.workspace_id) = ${confirm.notebooks.length},
          'authorization changed since a receipt was authorized') as ok)`;
    return {
      ctes: sql`receipts_marked as (
        update programs as p
        set receipt_status = v.status, receipt_at = v.at, run_started_at = v.started, run_ended_at = v.ended
        from append_lock, (values ${markValues(marks)}) as v(jti, status, at, started, ended)
        where p.jti = v.jti and p.receipt_status is null
        returning p.jti),
      receipts_all_pending as (
        select spin_require(count(*) = ${marks.length}, 'a program of the batch has a receipt already') as ok
        from receipts_marked)${confirmed ?? sql``}${more ? sql`, ${more}` : sql``}`,
      guards: confirmed ? sql`receipts_all_pending, receipts_confirmed` : sql`receipts_all_pending`,
    };
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
