import {
  SpinError,
  type CreateWorkspaceRequest,
  type UpdateWorkspaceRequest,
  type WorkspaceDetail,
} from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';
import { actorId, type UserActor } from '../policies/actor.js';
import type { GrantFor } from '../policies/authorize.js';
import { allowedActions, type Membership } from '../policies/policies.js';
import { runtimeUsableIn } from '../policies/runtimeUsable.js';
import { ancestorsOf, wouldCycle } from '../policies/workspaceTree.js';
import { auditRepository } from '../repositories/auditRepository.js';
import { runtimesRepository } from '../repositories/runtimesRepository.js';
import {
  workspacesRepository,
  type WorkspacePatch,
  type WorkspaceRow,
} from '../repositories/workspacesRepository.js';
import type { AuditService } from './auditService.js';

/** Presenter: a workspace with its settings and what the caller may do there. */
export function presentWorkspace(m: Membership): WorkspaceDetail {
  const w = m.workspace;
  return {
    id: w.id,
    name: w.name,
    role: m.role,
    description: w.description,
    parentId: w.parentId,
    defaultRuntimeId: w.defaultRuntimeId,
    sessionRetentionDays: w.sessionRetentionDays,
    archivedAt: w.archivedAt?.toISOString() ?? null,
    createdAt: w.createdAt.toISOString(),
    allowedActions: allowedActions('workspace', m, w),
  };
}

/** The settings that changed, old and new, for the audit entry. */
function changes(before: WorkspaceRow, after: WorkspaceRow): Record<string, unknown> {
  const keys = [
    'name',
    'description',
    'parentId',
    'defaultRuntimeId',
    'sessionRetentionDays',
  ] as const;
  return Object.fromEntries(
    keys.filter((k) => before[k] !== after[k]).map((k) => [k, { from: before[k], to: after[k] }]),
  );
}

/**
 * Workspaces: create (any member; under a parent, its owners), settings, archive, delete (org
 * admins). Tree changes run under the audit append lock, so two concurrent moves cannot build
 * a cycle between them; every change is one audit entry in the same transaction.
 */
export class WorkspaceService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  /**
   * Create a workspace. Top level (`parent` null): the creator becomes its owner. Under a
   * parent (the caller was authorised as its owner): the creator's role is inherited.
   */
  async create(
    actor: UserActor,
    parent: GrantFor<'workspace'> | null,
    input: CreateWorkspaceRequest,
  ): Promise<WorkspaceDetail> {
    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      await auditRepository.lockForAppend(tx);
      const row = await workspacesRepository.insert(tx, {
        id: newId('ws'),
        name: input.name,
        description: input.description ?? '',
        parentId: parent?.workspace.id ?? null,
        createdBy: actor.userId,
      });
      if (!parent) await workspacesRepository.setMember(tx, row.id, actor.userId, 'owner');
      await this.audit.append(
        {
          actor: actorId(actor),
          workspaceId: row.id,
          action: 'workspace.created',
          subject: row.id,
          data: { name: row.name, parentId: row.parentId },
        },
        tx,
      );
      return presentWorkspace({
        actor,
        role: parent?.role ?? 'owner',
        workspace: row,
        ancestry: [row.id, ...(parent?.ancestry ?? [])],
        archived: false,
      });
    });
  }

  /**
   * Change settings of the workspace the grant loaded. `newParent` is the grant on a new parent
   * (the route authorised the caller as its owner), or null to move it to the top level. A
   * parent under the workspace itself is 400 `workspace.parent_cycle`; a default runtime that
   * is not usable here (its own or an ancestor's) is 404 `runtime.unknown_runtime`.
   */
  async update(
    grant: GrantFor<'workspace'>,
    newParent: GrantFor<'workspace'> | null | undefined,
    input: UpdateWorkspaceRequest,
  ): Promise<WorkspaceDetail> {
    const current = grant.workspace;
    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      await auditRepository.lockForAppend(tx);
      const patch: WorkspacePatch = {};
      if (input.name !== undefined) patch.name = input.name;
      if (input.description !== undefined) patch.description = input.description;
      if (input.sessionRetentionDays !== undefined) {
        patch.sessionRetentionDays = input.sessionRetentionDays;
      }
      let ancestry = grant.ancestry;
      if (newParent !== undefined) {
        patch.parentId = newParent?.workspace.id ?? null;
        // Read the tree under the lock: the check and the move are atomic.
        const tree = new Map((await workspacesRepository.tree(tx)).map((w) => [w.id, w]));
        if (newParent && wouldCycle(tree, current.id, newParent.workspace.id)) {
          throw new SpinError(
            'workspace.parent_cycle',
            `"${newParent.workspace.name}" is inside "${current.name}" (or is it): a workspace cannot be its own ancestor`,
          );
        }
        ancestry = [current.id, ...(newParent ? ancestorsOf(tree, newParent.workspace.id) : [])];
      }
      const runtimeId =
        input.defaultRuntimeId !== undefined ? input.defaultRuntimeId : current.defaultRuntimeId;
      if (runtimeId !== null && (input.defaultRuntimeId !== undefined || newParent !== undefined)) {
        const runtime = await runtimesRepository.get(tx, runtimeId);
        if (!runtime || !runtimeUsableIn(runtime, ancestry)) {
          throw new SpinError(
            'runtime.unknown_runtime',
            `runtime ${runtimeId} is not usable in this workspace (register it here or in a parent)`,
          );
        }
      }
      if (input.defaultRuntimeId !== undefined) patch.defaultRuntimeId = input.defaultRuntimeId;
      const saved = Object.keys(patch).length
        ? await workspacesRepository.update(tx, current.id, patch)
        : current;
      if (!saved) throw new SpinError('request.not_found', 'workspace not found');
      const changed = changes(current, saved);
      if (Object.keys(changed).length > 0) {
        await this.audit.append(
          {
            actor: actorId(grant.actor),
            workspaceId: saved.id,
            action: 'workspace.updated',
            subject: saved.id,
            data: changed,
          },
          tx,
        );
      }
      return presentWorkspace({ ...grant, workspace: saved, ancestry });
    });
  }

  /** Archive (read-only afterwards) or unarchive the workspace the grant loaded. */
  async setArchived(grant: GrantFor<'workspace'>, archived: boolean): Promise<WorkspaceDetail> {
    const current = grant.workspace;
    if ((current.archivedAt !== null) === archived) return presentWorkspace(grant);
    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const saved = await workspacesRepository.update(tx, current.id, {
        archivedAt: archived ? new Date() : null,
      });
      if (!saved) throw new SpinError('request.not_found', 'workspace not found');
      await this.audit.append(
        {
          actor: actorId(grant.actor),
          workspaceId: saved.id,
          action: archived ? 'workspace.archived' : 'workspace.unarchived',
          subject: saved.id,
          data: { name: saved.name },
        },
        tx,
      );
      const parentArchived = grant.archived && current.archivedAt === null;
      return presentWorkspace({ ...grant, workspace: saved, archived: archived || parentArchived });
    });
  }

  /**
   * Delete the workspace the grant loaded, with its notebooks, runtimes and grants. A
   * workspace with children is 409 `workspace.has_children` (move or delete them first). The
   * audit trail stays: entries keep their workspace id, and the deletion is one more entry,
   * recorded org-wide so admins still read it after the workspace is gone.
   */
  async delete(grant: GrantFor<'workspace'>): Promise<{ deleted: string }> {
    const ws = grant.workspace;
    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      await auditRepository.lockForAppend(tx);
      if (await workspacesRepository.hasChildren(tx, ws.id)) {
        throw new SpinError(
          'workspace.has_children',
          `"${ws.name}" has child workspaces; move or delete them first`,
        );
      }
      if (!(await workspacesRepository.delete(tx, ws.id))) {
        throw new SpinError('request.not_found', 'workspace not found');
      }
      await this.audit.append(
        {
          actor: actorId(grant.actor),
          action: 'workspace.deleted',
          subject: ws.id,
          data: { name: ws.name, parentId: ws.parentId },
        },
        tx,
      );
      return { deleted: ws.id };
    });
  }
}
