import { SpinError, type WorkspaceRole } from '@spin/protocol';
import type { UserActor } from './actor.js';
import type { OrgAction } from './rolePolicy.js';

/** Workspace roles from least to most powerful. */
const RANK: Record<WorkspaceRole, number> = { viewer: 0, agent: 1, editor: 2, owner: 3 };

/** The less powerful of two roles. */
export function lesserRole(a: WorkspaceRole, b: WorkspaceRole): WorkspaceRole {
  return RANK[a] <= RANK[b] ? a : b;
}

/** Whether `role` reaches at least `floor`. */
export function roleAtLeast(role: WorkspaceRole, floor: WorkspaceRole): boolean {
  return RANK[role] >= RANK[floor];
}

/** Org actions an API token may perform: none beyond listing (its one) workspace. */
const TOKEN_ORG_ACTIONS: ReadonlySet<OrgAction> = new Set<OrgAction>(['workspace.list']);

/**
 * Confine a resolved workspace role to the caller's API token, if any: outside the token's
 * workspace the caller reaches nothing (null → the authorizer answers 404, as for a
 * non-member); inside it, the role is the lesser of the owner's current role and the token's,
 * so a token never outlives a demotion; a oneshot token reaches only its notebook.
 */
export function confineToToken(
  actor: UserActor,
  workspaceId: string,
  notebookId: string | null,
  role: WorkspaceRole,
): WorkspaceRole | null {
  const token = actor.token;
  if (!token) return role;
  if (token.workspaceId !== workspaceId) return null;
  if (token.kind === 'oneshot' && notebookId !== token.notebookId) {
    throw new SpinError('token.not_allowed', 'this oneshot token may only use its own notebook');
  }
  return lesserRole(role, token.role);
}

/** Throws unless the caller may perform org action `action` (tokens: listing only). */
export function checkTokenOrgAction(actor: UserActor, action: OrgAction): void {
  if (actor.token && !TOKEN_ORG_ACTIONS.has(action)) {
    throw new SpinError('token.not_allowed', `an API token may not perform ${action}`);
  }
}
