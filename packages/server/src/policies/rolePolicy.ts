import type { WorkspaceRole } from '@spin/protocol';

/**
 * The role → action tables of DESIGN.md §4, in one place. Handlers never test roles; they call
 * `authorize(actor, action, resource)`, which resolves the caller's role on the resource and
 * looks it up here.
 *
 * Workspace actions are decided by the caller's role in the workspace the resource belongs to
 * (org admins act as owners everywhere). Org actions are decided by the organisation role
 * alone: owning some workspace never grants anything org-wide.
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
  /** See who belongs to a workspace (members page). */
  'member.view': ['owner', 'editor', 'agent', 'viewer'],
  /** Invite, change roles, remove members, revoke invitations. */
  'member.manage': ['owner'],
  /** Settings: name, description, parent, default runtime, session retention. */
  'workspace.update': ['owner'],
  /** Archive (read-only afterwards) and unarchive. */
  'workspace.archive': ['owner'],
  /** Create a child workspace under this one. */
  'workspace.create_child': ['owner'],
  /** Delete: an owner who is also an org admin (see policies.ts). */
  'workspace.delete': ['owner'],
  /** Create an API token in the workspace (for oneself, at most one's own role). */
  'token.create': ['owner', 'editor', 'agent', 'viewer'],
  /** List connections by name and type only (`ConnectionSummary`): what running cells needs. */
  'connection.list': ['owner', 'editor', 'agent', 'viewer'],
  /** See a connection's config and which write-only fields are set (never their values). */
  'connection.view': ['owner', 'editor'],
  /** Create, edit, delete connections (DESIGN.md §4). */
  'connection.manage': ['owner'],
  /** Run a connection's health check on a runtime. */
  'connection.test': ['owner', 'editor'],
  /** See secrets' names, store types and references (never values). */
  'secret.view': ['owner', 'editor'],
  /** Create, edit, delete secrets. */
  'secret.manage': ['owner'],
  /** Fetch a runtime's sealed credential bundle to relay it (whoever runs cells there). */
  'credentials.sync': ['owner', 'editor', 'agent'],
} as const satisfies Record<string, readonly WorkspaceRole[]>;

/**
 * Actions still allowed in an archived workspace (it is read-only): reading, and undoing or
 * finishing it. Anything else — including actions added later — is refused with
 * `workspace.archived`, so a new write action is safe by default.
 */
export const ARCHIVED_ALLOWS: ReadonlySet<string> = new Set([
  'workspace.view',
  'notebook.view',
  'session.view',
  'runtime.view',
  'audit.read',
  'connection.list',
  'connection.view',
  'secret.view',
  'workspace.archive',
  'workspace.delete',
]);

/** Organisation roles. */
export type OrgRole = 'admin' | 'member';

/** Org-level actions and the organisation roles that may perform them. */
export const ORG_POLICY = {
  /** List the workspaces one belongs to (admins: all). */
  'workspace.list': ['admin', 'member'],
  /** Any member may create a (top-level) workspace and becomes its owner. */
  'workspace.create': ['admin', 'member'],
  /** Verify the whole audit chain: it spans every workspace. */
  'audit.verify': ['admin'],
  /** List and revoke one's own API tokens (admins: revoke anyone's). */
  'token.manage': ['admin', 'member'],
} as const satisfies Record<string, readonly OrgRole[]>;

/** Something a caller may be allowed to do inside a workspace. */
export type Action = keyof typeof ROLE_POLICY;

/** Something a caller may be allowed to do organisation-wide. */
export type OrgAction = keyof typeof ORG_POLICY;

/** Whether `role` may perform `action`. */
export function roleAllows(role: WorkspaceRole, action: Action): boolean {
  return (ROLE_POLICY[action] as readonly WorkspaceRole[]).includes(role);
}

/** Whether organisation role `role` may perform org action `action`. */
export function orgRoleAllows(role: OrgRole, action: OrgAction): boolean {
  return (ORG_POLICY[action] as readonly OrgRole[]).includes(role);
}

/** Permissions an access token carries for each role (DESIGN.md §1 "Access tokens"). */
export const SESSION_PERMS = {
  owner: ['view', 'execute', 'interrupt'],
  editor: ['view', 'execute', 'interrupt'],
  agent: ['view', 'execute', 'interrupt'],
  viewer: ['view'],
} as const satisfies Record<WorkspaceRole, readonly string[]>;

/** Organisation admins act as workspace owners everywhere. */
export const ORG_ADMIN_ROLE: WorkspaceRole = 'owner';
