import { and, asc, desc, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { auditLog } from '../db/schema.js';

/** An audit row. */
export type AuditRow = typeof auditLog.$inferSelect;

/** Key of the advisory lock that serialises audit appends across connections. */
const AUDIT_LOCK_KEY = 0x5350494e; // "SPIN"

/** audit_log access. */
export const auditRepository = {
  /** Take the transaction-scoped append lock (call inside a transaction). */
  async lockForAppend(db: Db): Promise<void> {
    await db.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
  },
  async last(db: Db): Promise<AuditRow | null> {
    const [row] = await db.select().from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
    return row ?? null;
  },
  async insert(db: Db, row: AuditRow): Promise<void> {
    await db.insert(auditLog).values(row);
  },
  /**
   * Rows with seq > after, ascending; only those of `workspaceIds` unless it is `'all'` (rows
   * without a workspace are in `'all'` only).
   */
  async page(
    db: Db,
    after: number,
    limit: number,
    workspaceIds: readonly string[] | 'all' = 'all',
  ): Promise<AuditRow[]> {
    if (workspaceIds !== 'all' && workspaceIds.length === 0) return [];
    const newer = gt(auditLog.seq, after);
    return db
      .select()
      .from(auditLog)
      .where(
        workspaceIds === 'all'
          ? newer
          : and(newer, inArray(auditLog.workspaceId, [...workspaceIds])),
      )
      .orderBy(asc(auditLog.seq))
      .limit(limit);
  },
};
