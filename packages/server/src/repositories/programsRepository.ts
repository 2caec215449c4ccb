import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { programs } from '../db/schema.js';
import { prepared } from './preparedStatements.js';

/** A compiled program row. */
export type ProgramRow = typeof programs.$inferSelect;

/** programs access. */
export const programsRepository = {
  async insert(db: Db, row: typeof programs.$inferInsert): Promise<void> {
    await db.insert(programs).values(row);
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
};
