import { SpinError, type ErrorCode, type WorkspaceRole } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { execSessionsRepository } from '../repositories/execSessionsRepository.js';
import { notebooksRepository } from '../repositories/notebooksRepository.js';
import { programsRepository } from '../repositories/programsRepository.js';
import { runtimesRepository, type RuntimeRow } from '../repositories/runtimesRepository.js';
import { workspacesRepository } from '../repositories/workspacesRepository.js';
import type { UserActor } from './actor.js';
import { checkTokenOrgAction, confineToToken } from './tokenScope.js';
import {
  ORG_ADMIN_ROLE,
  orgRoleAllows,
  roleAllows,
  type Action,
  type OrgAction,
} from './rolePolicy.js';

/** Something inside a workspace; the authorizer loads it and resolves its workspace. */
export type WorkspaceResource =
  | { type: 'workspace'; id: string }
  | { type: 'notebook'; id: string }
  | { type: 'session'; sid: string }
  | { type: 'program'; jti: string }
  | { type: 'runtime'; id: string };

/** What an action is about: the organisation, or something inside a workspace. */
export type Resource = { type: 'org' } | WorkspaceResource;

/**
 * A successful check on a workspace resource: the caller's role in the resource's workspace,
 * and the rows the check loaded (so the service does not read them again).
 */
export interface Grant {
  actor: UserActor;
  role: WorkspaceRole;
  workspaceId: string;
  /** The runtime row, for `{ type: 'runtime' }` resources. */
  runtime: RuntimeRow | null;
}

/** A successful org-level check: decided by the organisation role alone. */
export interface OrgGrant {
  actor: UserActor;
  orgRole: UserActor['orgRole'];
}

/**
 * Where an action may be performed: every workspace (org admins) or the listed ones (where the
 * caller's role allows it). Lists and the audit log are filtered by it.
 */
export type Scope = { all: true } | { all: false; workspaceIds: readonly string[] };

/** Checks `actor` may perform `action` on `resource`; throws a SpinError otherwise. */
export interface Authorize {
  (actor: UserActor | null, action: OrgAction, resource: { type: 'org' }): Promise<OrgGrant>;
  (actor: UserActor | null, action: Action, resource: WorkspaceResource): Promise<Grant>;
}

/** The workspaces where `actor` may perform `action`; 403 when there are none. */
export type ScopeOf = (actor: UserActor | null, action: Action) => Promise<Scope>;

const signIn = () => new SpinError('auth.unauthenticated', 'sign in first');
const denied = (action: string) =>
  new SpinError('auth.permission_required', `your role does not allow ${action}`);

/**
 * Build the authorizer. Anonymous → 401 `auth.unauthenticated`; a resource that does not exist
 * or that the caller cannot see → 404 (not leaking existence); a visible resource the role may
 * not act on → 403 `auth.permission_required`.
 */
export function createAuthorizer(db: Db): { authorize: Authorize; scope: ScopeOf } {
  async function load(resource: WorkspaceResource): Promise<{
    workspaceId: string | null;
    runtime: RuntimeRow | null;
    notFound: ErrorCode;
    /** The notebook the resource is or belongs to (oneshot tokens are confined to one). */
    notebookId?: string | null;
  }> {
    const none = { runtime: null };
    switch (resource.type) {
      case 'workspace':
        return {
          ...none,
          workspaceId: (await workspacesRepository.exists(db, resource.id)) ? resource.id : null,
          notFound: 'request.not_found',
        };
      case 'notebook':
        return {
          ...none,
          workspaceId: await notebooksRepository.workspaceOf(db, resource.id),
          notFound: 'notebook.not_found',
          notebookId: resource.id,
        };
      case 'session': {
        const session = await execSessionsRepository.get(db, resource.sid);
        const ws = session && (await notebooksRepository.workspaceOf(db, session.notebookId));
        return {
          ...none,
          workspaceId: ws ?? null,
          notFound: 'session.not_found',
          notebookId: session?.notebookId ?? null,
        };
      }
      case 'program': {
        const program = await programsRepository.get(db, resource.jti);
        const ws = program && (await notebooksRepository.workspaceOf(db, program.notebookId));
        return {
          ...none,
          workspaceId: ws ?? null,
          notFound: 'receipt.unknown_program',
          notebookId: program?.notebookId ?? null,
        };
      }
      case 'runtime': {
        const runtime = await runtimesRepository.get(db, resource.id);
        return {
          runtime,
          workspaceId: runtime?.workspaceId ?? null,
          notFound: 'runtime.unknown_runtime',
        };
      }
    }
  }

  async function authorizeOrg(actor: UserActor | null, action: OrgAction): Promise<OrgGrant> {
    if (!actor) throw signIn();
    checkTokenOrgAction(actor, action);
    if (!orgRoleAllows(actor.orgRole, action)) throw denied(action);
    return { actor, orgRole: actor.orgRole };
  }

  async function authorizeWorkspace(
    actor: UserActor | null,
    action: Action,
    resource: WorkspaceResource,
  ): Promise<Grant> {
    if (!actor) throw signIn();
    const { workspaceId, runtime, notFound, notebookId } = await load(resource);
    if (!workspaceId) throw new SpinError(notFound, `${resource.type} not found`);
    const member =
      actor.orgRole === 'admin'
        ? ORG_ADMIN_ROLE
        : await workspacesRepository.roleOf(db, workspaceId, actor.userId);
    const role = member && confineToToken(actor, workspaceId, notebookId ?? null, member);
    if (!role) throw new SpinError(notFound, `${resource.type} not found`);
    if (!roleAllows(role, action)) throw denied(action);
    return { actor, role, workspaceId, runtime };
  }

  const authorize = ((actor: UserActor | null, action: Action | OrgAction, resource: Resource) =>
    resource.type === 'org'
      ? authorizeOrg(actor, action as OrgAction)
      : authorizeWorkspace(actor, action as Action, resource)) as Authorize;

  const scope: ScopeOf = async (actor, action) => {
    if (!actor) throw signIn();
    if (actor.orgRole === 'admin' && !actor.token) return { all: true };
    const memberships =
      actor.orgRole === 'admin'
        ? [{ id: actor.token!.workspaceId, role: ORG_ADMIN_ROLE }]
        : await workspacesRepository.listForUser(db, actor.userId);
    const workspaceIds = memberships
      .flatMap((w) => {
        const role = confineToToken(actor, w.id, actor.token?.notebookId ?? null, w.role);
        return role ? [{ id: w.id, role }] : [];
      })
      .filter((w) => roleAllows(w.role, action))
      .map((w) => w.id);
    if (workspaceIds.length === 0) throw denied(action);
    return { all: false, workspaceIds };
  };

  return { authorize, scope };
}

/** Whether a scope includes `workspaceId`. */
export function scopeIncludes(scope: Scope, workspaceId: string | null): boolean {
  if (scope.all) return true;
  return workspaceId !== null && scope.workspaceIds.includes(workspaceId);
}
