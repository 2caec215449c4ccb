import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { invitations, users } from '../db/schema.js';

/** An invitations row. */
export type InvitationRow = typeof invitations.$inferSelect;

/** invitations access; rows are found by the sha256 hex of the link token. */
export const invitationsRepository = {
  async insert(db: Db, row: typeof invitations.$inferInsert): Promise<InvitationRow> {
    const [created] = await db.insert(invitations).values(row).returning();
    return created!;
  },
  async findByHash(db: Db, tokenHash: string): Promise<InvitationRow | null> {
    const [row] = await db.select().from(invitations).where(eq(invitations.tokenHash, tokenHash));
    return row ?? null;
  },
  async findById(db: Db, id: string): Promise<InvitationRow | null> {
    const [row] = await db.select().from(invitations).where(eq(invitations.id, id));
    return row ?? null;
  },
  /** The name of whoever created an invitation, for the accept page. */
  async inviterName(db: Db, userId: string | null): Promise<string | null> {
    if (!userId) return null;
    const [row] = await db.select({ name: users.name }).from(users).where(eq(users.id, userId));
    return row?.name ?? null;
  },
  /** Invitations of a workspace that can still be accepted, oldest first. */
  async listPending(db: Db, workspaceId: string, now: Date): Promise<InvitationRow[]> {
    return db
      .select()
      .from(invitations)
      .where(
        and(
          eq(invitations.workspaceId, workspaceId),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, now),
        ),
      )
      .orderBy(asc(invitations.createdAt), asc(invitations.id));
  },
  /**
   * Mark a pending invitation accepted by `userId` in one conditional UPDATE, so two
   * concurrent accepts of the same link cannot both win. Null when it is no longer pending.
   */
  async claim(db: Db, tokenHash: string, userId: string, now: Date): Promise<InvitationRow | null> {
    const [row] = await db
      .update(invitations)
      .set({ acceptedAt: now, acceptedBy: userId })
      .where(
        and(
          eq(invitations.tokenHash, tokenHash),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, now),
        ),
      )
      .returning();
    return row ?? null;
  },
  /** Revoke a pending invitation of `workspaceId`; null when there is none to revoke. */
  async revoke(db: Db, workspaceId: string, id: string, now: Date): Promise<InvitationRow | null> {
    const [row] = await db
      .update(invitations)
      .set({ revokedAt: now })
      .where(
        and(
          eq(invitations.id, id),
          eq(invitations.workspaceId, workspaceId),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
        ),
      )
      .returning();
    return row ?? null;
  },
};
