import { and, asc, count, desc, eq, gt, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { isUniqueViolation } from '../db/dbErrors.js';
import { auditLog } from '../db/schema.js';

/** An audit row. */
export type AuditRow = typeof auditLog.$inferSelect;

/** Narrowing of an audit listing; every field is optional and they combine with AND. */
export interface AuditFilter {
  workspaceId?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  /** ISO time, inclusive. */
  from?: string | undefined;
  /** ISO time, exclusive. */
  to?: string | undefined;
}

function filterConditions(filter: AuditFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.workspaceId !== undefined)
    conditions.push(eq(auditLog.workspaceId, filter.workspaceId));
  if (filter.actor !== undefined) conditions.push(eq(auditLog.actor, filter.actor));
  if (filter.action !== undefined) conditions.push(eq(auditLog.action, filter.action));
  // `at` is always Date.toISOString() text, so text order is time order.
  if (filter.from !== undefined) conditions.push(gte(auditLog.at, filter.from));
  if (filter.to !== undefined) conditions.push(lt(auditLog.at, filter.to));
  return conditions;
}

/**
 * Statements an append carries in its one statement ({@link auditRepository.appendAfterHead}).
 * Their data-modifying parts run to completion whether or not the insert reads them; reading
 * `append_lock` in them takes the append lock before their rows are locked (no lock-order
 * deadlock with another process's append).
 */
export interface AppendPrelude {
  /** Named CTEs, `name as (statement), …`. */
  ctes: SQL;
  /** Relations among them the insert reads, so a check in them that raises aborts the append. */
  guards?: SQL;
}

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
   * Append `rows` (consecutive seqs after the caller's head) in ONE statement that first takes
   * the append lock (CTE `append_lock`) and, optionally, runs `prelude` (other data-modifying
   * statements, e.g. the program row a compile records, or a receipt batch's writes) in the
   * same atomic statement. Returns false, changing nothing, when a row with one of those seqs
   * exists already — another process appended since the caller's head was read: the primary
   * key on `seq` is the compare-and-set. Inside a transaction that refusal aborts it: the
   * caller retries the whole transaction. A prelude check that raises aborts the statement too
   * (the error is thrown).
   */
  async appendAfterHead(
    db: Db,
    rows: readonly AuditRow[],
    prelude?: AppendPrelude,
  ): Promise<boolean> {
    const values = sql.join(
      rows.map(
        (r) =>
          sql`(${r.seq}::bigint, ${r.at}, ${r.actor}, ${r.workspaceId}, ${r.action}, ${r.subject}, ${JSON.stringify(r.data)}::json, ${r.prevHash}, ${r.hash}, ${r.chain})`,
      ),
      sql`, `,
    );
    const statement = sql`with append_lock as (select pg_advisory_xact_lock(${AUDIT_LOCK_KEY}) as locked)${prelude ? sql`, ${prelude.ctes}` : sql``}
      insert into audit_log (seq, at, actor, workspace_id, action, subject, data, prev_hash, hash, chain)
      select v.* from append_lock${prelude?.guards ? sql`, ${prelude.guards}` : sql``}, (values ${values}) as v(seq, at, actor, workspace_id, action, subject, data, prev_hash, hash, chain)
`;
    try {
      await db.execute(statement);
      return true;
    } catch (err) {
      if (isUniqueViolation(err, 'audit_log_pkey')) return false;
      throw err;
    }
  },
  /**
   * Rows with seq > after, ascending; only those of `workspaceIds` unless it is `'all'` (rows
   * without a workspace are in `'all'` only), narrowed by `filter`.
   */
  async page(
    db: Db,
    after: number,
    limit: number,
    workspaceIds: readonly string[] | 'all' = 'all',
    filter: AuditFilter = {},
  ): Promise<AuditRow[]> {
    if (workspaceIds !== 'all' && workspaceIds.length === 0) return [];
    const conditions = [gt(auditLog.seq, after), ...filterConditions(filter)];
    if (workspaceIds !== 'all') conditions.push(inArray(auditLog.workspaceId, [...workspaceIds]));
    return db
      .select()
      .from(auditLog)
      .where(and(...conditions))
      .orderBy(asc(auditLog.seq))
      .limit(limit);
  },
  /** How many rows each chain format has. */
  async countByChain(db: Db): Promise<Partial<Record<AuditRow['chain'], number>>> {
    const rows = await db
      .select({ chain: auditLog.chain, n: count() })
      .from(auditLog)
      .groupBy(auditLog.chain);
    return Object.fromEntries(rows.map((r) => [r.chain, Number(r.n)]));
  },
  /** Replace one row's links with keyed ones (the chain upgrade only). */
  async rechain(db: Db, seq: number, prevHash: string, hash: string): Promise<void> {
    await db
      .update(auditLog)
      .set({ prevHash, hash, chain: 'hmac-sha256' })
      .where(eq(auditLog.seq, seq));
  },
};
