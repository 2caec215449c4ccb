import { and, asc, eq, sql } from 'drizzle-orm';
import type { WorkspaceRole } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { users, workspaceMembers, workspaces } from '../db/schema.js';

/** A workspace member joined with their user row. */
export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: WorkspaceRole;
  joinedAt: Date;
}

/** workspace_members as a list of people (the members page), plus owner counting. */
export const membersRepository = {
  async list(db: Db, workspaceId: string): Promise<MemberRow[]> {
    return db
      .select({
        userId: users.id,
        email: users.email,
        name: users.name,
        role: workspaceMembers.role,
        joinedAt: workspaceMembers.createdAt,
      })
      .from(workspaceMembers)
      .innerJoin(users, eq(users.id, workspaceMembers.userId))
      .where(eq(workspaceMembers.workspaceId, workspaceId))
      .orderBy(asc(workspaceMembers.createdAt), asc(users.email));
  },
  async get(db: Db, workspaceId: string, userId: string): Promise<MemberRow | null> {
    const [row] = await db
      .select({
        userId: users.id,
        email: users.email,
        name: users.name,
        role: workspaceMembers.role,
        joinedAt: workspaceMembers.createdAt,
      })
      .from(workspaceMembers)
      .innerJoin(users, eq(users.id, workspaceMembers.userId))
      .where(
        and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)),
      );
    return row ?? null;
  },
  /** Insert a membership; false when the user is already a member (nothing changes then). */
  async add(db: Db, workspaceId: string, userId: string, role: WorkspaceRole): Promise<boolean> {
    const rows = await db
      .insert(workspaceMembers)
      .values({ workspaceId, userId, role })
      .onConflictDoNothing()
      .returning({ userId: workspaceMembers.userId });
    return rows.length === 1;
  },
  async setRole(db: Db, workspaceId: string, userId: string, role: WorkspaceRole): Promise<void> {
    await db
      .update(workspaceMembers)
      .set({ role })
      .where(
        and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)),
      );
  },
  async remove(db: Db, workspaceId: string, userId: string): Promise<void> {
    await db
      .delete(workspaceMembers)
      .where(
        and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)),
      );
  },
  async countOwners(db: Db, workspaceId: string): Promise<number> {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(workspaceMembers)
      .where(
        and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.role, 'owner')),
      );
    return row?.n ?? 0;
  },
  async workspaceName(db: Db, workspaceId: string): Promise<string | null> {
    const [row] = await db
      .select({ name: workspaces.name })
      .from(workspaces)
      .where(eq(workspaces.id, workspaceId));
    return row?.name ?? null;
  },
};
