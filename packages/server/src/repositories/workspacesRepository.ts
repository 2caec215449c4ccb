import { and, asc, eq, sql } from 'drizzle-orm';
import type { WorkspaceRole } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { workspaceMembers, workspaces } from '../db/schema.js';
import { prepared } from './preparedStatements.js';

/** A workspace with the caller's role in it. */
export interface WorkspaceWithRole {
  id: string;
  name: string;
  role: WorkspaceRole;
}

/** workspaces and workspace_members access. */
export const workspacesRepository = {
  async insert(db: Db, row: { id: string; name: string }): Promise<void> {
    await db.insert(workspaces).values(row);
  },
  async exists(db: Db, id: string): Promise<boolean> {
    const [row] = await db
      .select({ id: workspaces.id })
      .from(workspaces)
      .where(eq(workspaces.id, id));
    return row !== undefined;
  },
  async setMember(db: Db, workspaceId: string, userId: string, role: WorkspaceRole): Promise<void> {
    await db
      .insert(workspaceMembers)
      .values({ workspaceId, userId, role })
      .onConflictDoUpdate({
        target: [workspaceMembers.workspaceId, workspaceMembers.userId],
        set: { role },
      });
  },
  async roleOf(db: Db, workspaceId: string, userId: string): Promise<WorkspaceRole | null> {
    const statement = prepared(db, 'workspace_members_role_of', (d, name) =>
      d
        .select({ role: workspaceMembers.role })
        .from(workspaceMembers)
        .where(
          and(
            eq(workspaceMembers.workspaceId, sql.placeholder('workspaceId')),
            eq(workspaceMembers.userId, sql.placeholder('userId')),
          ),
        )
        .prepare(name),
    );
    const [row] = await statement.execute({ workspaceId, userId });
    return row?.role ?? null;
  },
  /** Workspaces the user belongs to, oldest first. */
  async listForUser(db: Db, userId: string): Promise<WorkspaceWithRole[]> {
    return db
      .select({ id: workspaces.id, name: workspaces.name, role: workspaceMembers.role })
      .from(workspaceMembers)
      .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
      .where(eq(workspaceMembers.userId, userId))
      .orderBy(asc(workspaces.createdAt), asc(workspaces.id));
  },
  /** The oldest workspace (the default one), or null before any exists. */
  async oldest(db: Db): Promise<{ id: string; name: string } | null> {
    const [row] = await db
      .select({ id: workspaces.id, name: workspaces.name })
      .from(workspaces)
      .orderBy(asc(workspaces.createdAt), asc(workspaces.id))
      .limit(1);
    return row ?? null;
  },
  async listAll(db: Db): Promise<{ id: string; name: string }[]> {
    return db
      .select({ id: workspaces.id, name: workspaces.name })
      .from(workspaces)
      .orderBy(asc(workspaces.createdAt), asc(workspaces.id));
  },
};
