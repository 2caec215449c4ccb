import type { WorkspaceRole } from '@spin/protocol';

/**
 * The role → action table of DESIGN.md §4, in one place. Handlers never test roles; they call
 * `authorize(actor, action, resource)`, which resolves the caller's role and looks it up here.
 */
export const ROLE_POLICY = {
  'workspace.view': ['owner', 'editor', 'agent', 'viewer'],
  'notebook.view': ['owner', 'editor', 'agent', 'viewer'],
  'session.view': ['owner', 'editor', 'agent', 'viewer'],
  'runtime.view': ['owner', 'editor', 'agent', 'viewer'],
  'notebook.run': ['owner', 'editor', 'agent'],
  'notebook.create': ['owner', 'editor'],
  'notebook.edit': ['owner', 'editor'],
  'runtime.manage': ['owner'],
  'audit.read': ['owner'],
} as const satisfies Record<string, readonly WorkspaceRole[]>;

/** Something a caller may be allowed to do. */
export type Action = keyof typeof ROLE_POLICY;

/** Whether `role` may perform `action`. */
export function roleAllows(role: WorkspaceRole, action: Action): boolean {
  return (ROLE_POLICY[action] as readonly WorkspaceRole[]).includes(role);
}

/** Workspace roles from most to least powerful. */
export const ROLE_RANK: readonly WorkspaceRole[] = ['owner', 'editor', 'agent', 'viewer'];

/** Permissions an access token carries for each role (DESIGN.md §1 "Access tokens"). */
export const SESSION_PERMS = {
  owner: ['view', 'execute', 'interrupt'],
  editor: ['view', 'execute', 'interrupt'],
  agent: ['view', 'execute', 'interrupt'],
  viewer: ['view'],
} as const satisfies Record<WorkspaceRole, readonly string[]>;

/** Organisation admins act as workspace owners everywhere. */
export const ORG_ADMIN_ROLE: WorkspaceRole = 'owner';
