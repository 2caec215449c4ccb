import { and, asc, eq, sql } from 'drizzle-orm';
import type { WorkspaceRole } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { workspaceMembers, workspaces } from '../db/schema.js';
import { MAX_DEPTH } from '../policies/workspaceTree.js';
import { prepared } from './preparedStatements.js';

/** A workspace row. */
export type WorkspaceRow = typeof workspaces.$inferSelect;

/** A workspace with the caller's role in it. */
export interface WorkspaceWithRole {
  id: string;
  name: string;
  role: WorkspaceRole;
}

/** One link of a workspace's parent chain, with the user's direct grant on it (if any). */
export interface ChainLink {
  workspace: WorkspaceRow;
  role: WorkspaceRole | null;
}

/** What workspace settings may change. */
export type WorkspacePatch = Partial<
  Pick<
    WorkspaceRow,
    'name' | 'description' | 'parentId' | 'defaultRuntimeId' | 'sessionRetentionDays' | 'archivedAt'
  >
>;

const date = (v: unknown): Date | null =>
  v === null || v === undefined ? null : new Date(v as string);

/** A raw `workspaces` row (snake_case, from a recursive query) as the drizzle row type. */
function fromRaw(r: Record<string, unknown>): WorkspaceRow {
  return {
    id: String(r.id),
    name: String(r.name),
    createdAt: date(r.created_at)!,
    parentId: (r.parent_id as string | null) ?? null,
    description: String(r.description ?? ''),
    defaultRuntimeId: (r.default_runtime_id as string | null) ?? null,
    sessionRetentionDays: (r.session_retention_days as number | null) ?? null,
    archivedAt: date(r.archived_at),
    createdBy: (r.created_by as string | null) ?? null,
  };
}

/** workspaces and workspace_members access. */
export const workspacesRepository = {
  async insert(db: Db, row: typeof workspaces.$inferInsert): Promise<WorkspaceRow> {
    const [created] = await db.insert(workspaces).values(row).returning();
    return created!;
  },
  async exists(db: Db, id: string): Promise<boolean> {
    const [row] = await db
      .select({ id: workspaces.id })
      .from(workspaces)
      .where(eq(workspaces.id, id));
    return row !== undefined;
  },
  async get(db: Db, id: string): Promise<WorkspaceRow | null> {
    const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id));
    return row ?? null;
  },
  /**
   * The workspace `id` and its ancestors (nearest first), each with `userId`'s direct grant:
   * one recursive query decides membership with inheritance. Empty when `id` does not exist.
   */
  async chainFor(db: Db, id: string, userId: string): Promise<ChainLink[]> {
    const { rows } = (await db.execute(sql`
      with recursive chain as (
        select w.*, 0 as depth from workspaces w where w.id = ${id}
        union all
        select w.*, c.depth + 1 from workspaces w join chain c on w.id = c.parent_id
        where c.depth < ${MAX_DEPTH - 1}
      )
      select chain.*, m.role as member_role from chain
      left join workspace_members m on m.workspace_id = chain.id and m.user_id = ${userId}
      order by chain.depth`)) as unknown as { rows: Record<string, unknown>[] };
    return rows.map((r) => ({
      workspace: fromRaw(r),
      role: (r.member_role as WorkspaceRole | null) ?? null,
    }));
  },
  /** Every workspace row (the tree; there are few), oldest first. */
  async tree(db: Db): Promise<WorkspaceRow[]> {
    return db.select().from(workspaces).orderBy(asc(workspaces.createdAt), asc(workspaces.id));
  },
  /** The user's direct grants. */
  async grantsOf(db: Db, userId: string): Promise<Map<string, WorkspaceRole>> {
    const rows = await db
      .select({ workspaceId: workspaceMembers.workspaceId, role: workspaceMembers.role })
      .from(workspaceMembers)
      .where(eq(workspaceMembers.userId, userId));
    return new Map(rows.map((r) => [r.workspaceId, r.role]));
  },
  async hasChildren(db: Db, id: string): Promise<boolean> {
    const [row] = await db
      .select({ id: workspaces.id })
      .from(workspaces)
      .where(eq(workspaces.parentId, id))
      .limit(1);
    return row !== undefined;
  },
  async update(db: Db, id: string, patch: WorkspacePatch): Promise<WorkspaceRow | null> {
    const [row] = await db.update(workspaces).set(patch).where(eq(workspaces.id, id)).returning();
    return row ?? null;
  },
  /** Delete a workspace (its notebooks, runtimes and grants cascade; the audit log stays). */
  async delete(db: Db, id: string): Promise<boolean> {
    const rows = await db
      .delete(workspaces)
      .where(eq(workspaces.id, id))
      .returning({ id: workspaces.id });
    return rows.length > 0;
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
  /** The user's direct grant on `workspaceId` (no inheritance; see {@link chainFor}). */
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
  /** Workspaces the user is a direct member of, oldest first. */
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
  /** Every workspace row, oldest first. */
  async listAll(db: Db): Promise<WorkspaceRow[]> {
    return db.select().from(workspaces).orderBy(asc(workspaces.createdAt), asc(workspaces.id));
  },
};
