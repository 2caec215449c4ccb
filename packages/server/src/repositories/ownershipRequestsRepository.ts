import { aliasedTable, and, desc, eq, gt, lte, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { sessionOwnershipRequests, users } from '../db/schema.js';

/** A stored request for a session's ownership. */
export type OwnershipRequestRow = typeof sessionOwnershipRequests.$inferSelect;
/** A request with the names of its requester and of whoever answered it. */
export type NamedOwnershipRequestRow = OwnershipRequestRow & {
  requesterName: string;
  resolvedByName: string | null;
};

const t = sessionOwnershipRequests;
const resolver = aliasedTable(users, 'resolver');

function named(db: Db) {
  return db
    .select({ request: t, requesterName: users.name, resolvedByName: resolver.name })
    .from(t)
    .innerJoin(users, eq(users.id, t.requesterId))
    .leftJoin(resolver, eq(resolver.id, t.resolvedBy));
}

const flatten = (r: {
  request: OwnershipRequestRow;
  requesterName: string;
  resolvedByName: string | null;
}): NamedOwnershipRequestRow => ({
  ...r.request,
  requesterName: r.requesterName,
  resolvedByName: r.resolvedByName,
});

/** session_ownership_requests access. */
export const ownershipRequestsRepository = {
  async get(db: Db, sid: string, id: string): Promise<OwnershipRequestRow | null> {
    const [row] = await db
      .select()
      .from(t)
      .where(and(eq(t.id, id), eq(t.sid, sid)));
    return row ?? null;
  },
  /**
   * Mark the requester's pending requests in `sid` that can no longer be answered (past their
   * expiry, or made at another owner epoch) `expired`, so a new one may take their place.
   */
  async expireLapsed(db: Db, sid: string, requesterId: string, ownerEpoch: number) {
    await db
      .update(t)
      .set({ status: 'expired', resolvedAt: sql`now()` })
      .where(
        and(
          eq(t.sid, sid),
          eq(t.requesterId, requesterId),
          eq(t.status, 'pending'),
          or(lte(t.expiresAt, sql`now()`), ne(t.ownerEpoch, ownerEpoch)),
        ),
      );
  },
  /**
   * Insert a pending request, expiring `ttlMs` after the database's now (the clock its expiry is
   * checked against), unless the requester has one; returns it, or null if one exists.
   */
  async insertPending(
    db: Db,
    row: { id: string; sid: string; requesterId: string; ownerEpoch: number; ttlMs: number },
  ): Promise<OwnershipRequestRow | null> {
    const { ttlMs, ...values } = row;
    const [inserted] = await db
      .insert(t)
      .values({ ...values, expiresAt: sql`now() + ${ttlMs} * interval '1 millisecond'` })
      .onConflictDoNothing({
        target: [t.sid, t.requesterId],
        where: sql`${t.status} = 'pending'`,
      })
      .returning();
    return inserted ?? null;
  },
  /**
   * Answer a request (compare-and-set: only while it is pending, unexpired and of `ownerEpoch`);
   * returns the updated row, or null when it could not be answered.
   */
  async resolve(
    db: Db,
    id: string,
    ownerEpoch: number,
    status: 'accepted' | 'declined',
    by: string,
  ): Promise<OwnershipRequestRow | null> {
    const [row] = await db
      .update(t)
      .set({ status, resolvedAt: sql`now()`, resolvedBy: by })
      .where(
        and(
          eq(t.id, id),
          eq(t.status, 'pending'),
          eq(t.ownerEpoch, ownerEpoch),
          gt(t.expiresAt, sql`now()`),
        ),
      )
      .returning();
    return row ?? null;
  },
  /** Pending requests of `sid` that can still be answered, oldest first. */
  async live(db: Db, sid: string, ownerEpoch: number): Promise<NamedOwnershipRequestRow[]> {
    const rows = await named(db)
      .where(
        and(
          eq(t.sid, sid),
          eq(t.status, 'pending'),
          eq(t.ownerEpoch, ownerEpoch),
          gt(t.expiresAt, sql`now()`),
        ),
      )
      .orderBy(t.createdAt, t.id);
    return rows.map(flatten);
  },
  /** The requester's newest request in `sid`, whatever its status. */
  async newestOf(
    db: Db,
    sid: string,
    requesterId: string,
  ): Promise<NamedOwnershipRequestRow | null> {
    const [row] = await named(db)
      .where(and(eq(t.sid, sid), eq(t.requesterId, requesterId)))
      .orderBy(desc(t.createdAt), desc(t.id))
      .limit(1);
    return row ? flatten(row) : null;
  },
};
