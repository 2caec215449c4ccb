import { SpinError, type ErrorCode, type WorkspaceRole } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { execSessionsRepository } from '../repositories/execSessionsRepository.js';
import { notebooksRepository } from '../repositories/notebooksRepository.js';
import { programsRepository } from '../repositories/programsRepository.js';
import { workspacesRepository } from '../repositories/workspacesRepository.js';
import type { UserActor } from './actor.js';
import { ORG_ADMIN_ROLE, ROLE_RANK, roleAllows, type Action } from './rolePolicy.js';

/** What an action is about; the authorizer resolves the workspace it belongs to. */
export type Resource =
  | { type: 'org' }
  | { type: 'workspace'; id: string }
  | { type: 'notebook'; id: string }
  | { type: 'session'; sid: string }
  | { type: 'program'; jti: string };

/** The result of a successful check: the caller's effective role and where it applies. */
export interface Grant {
  actor: UserActor;
  role: WorkspaceRole;
  workspaceId: string | null;
}

/** Checks `actor` may perform `action` on `resource`; throws a SpinError otherwise. */
export type Authorize = (
  actor: UserActor | null,
  action: Action,
  resource: Resource,
) => Promise<Grant>;

/**
 * Build the authorizer. Anonymous → 401 `auth.unauthenticated`; a resource that does not exist
 * or that the caller cannot see → 404 (not leaking existence); a visible resource the role may
 * not act on → 403 `auth.permission_required`.
 */
export function createAuthorizer(db: Db): Authorize {
  async function workspaceOf(resource: Resource): Promise<[string | null, ErrorCode]> {
    switch (resource.type) {
      case 'org':
        return [null, 'request.not_found'];
      case 'workspace':
        return [
          (await workspacesRepository.exists(db, resource.id)) ? resource.id : null,
          'request.not_found',
        ];
      case 'notebook':
        return [await notebooksRepository.workspaceOf(db, resource.id), 'notebook.not_found'];
      case 'session': {
        const session = await execSessionsRepository.get(db, resource.sid);
        const ws = session && (await notebooksRepository.workspaceOf(db, session.notebookId));
        return [ws ?? null, 'session.not_found'];
      }
      case 'program': {
        const program = await programsRepository.get(db, resource.jti);
        const ws = program && (await notebooksRepository.workspaceOf(db, program.notebookId));
        return [ws ?? null, 'receipt.unknown_program'];
      }
    }
  }

  return async (actor, action, resource) => {
    if (!actor) throw new SpinError('auth.unauthenticated', 'sign in first');
    const denied = () =>
      new SpinError('auth.permission_required', `your role does not allow ${action}`);

    if (resource.type === 'org') {
      // Org-wide actions use the caller's strongest workspace role.
      const roles = (await workspacesRepository.listForUser(db, actor.userId)).map((w) => w.role);
      if (actor.orgRole === 'admin') roles.push(ORG_ADMIN_ROLE);
      const role = ROLE_RANK.find((r) => roles.includes(r));
      if (!role || !roleAllows(role, action)) throw denied();
      return { actor, role, workspaceId: null };
    }

    const [workspaceId, notFound] = await workspaceOf(resource);
    if (!workspaceId) throw new SpinError(notFound, `${resource.type} not found`);
    const member = await workspacesRepository.roleOf(db, workspaceId, actor.userId);
    const role = actor.orgRole === 'admin' ? ORG_ADMIN_ROLE : member;
    if (!role) throw new SpinError(notFound, `${resource.type} not found`);
    if (!roleAllows(role, action)) throw denied();
    return { actor, role, workspaceId };
  };
}
