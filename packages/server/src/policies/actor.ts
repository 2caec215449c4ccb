/** A signed-in user acting through a browser/API session. */
export interface UserActor {
  kind: 'user';
  userId: string;
  email: string;
  name: string;
  orgRole: 'admin' | 'member';
  /** Set when the request authenticated with an API token: what the token confines it to. */
  token?: TokenScope;
}

/**
 * The confinement of an API-token request (see `policies/tokenScope.ts`): one workspace, at
 * most `role` there, and for oneshot tokens one notebook.
 */
export interface TokenScope {
  id: string;
  kind: 'personal' | 'agent' | 'oneshot';
  workspaceId: string;
  role: 'owner' | 'editor' | 'agent' | 'viewer';
  notebookId: string | null;
}

/** The server itself (or the CLI in-process), e.g. auto-registering the local runtime. */
export interface SystemActor {
  kind: 'system';
  name: string;
}

/** Who is doing something: recorded in the audit log. */
export type Actor = UserActor | SystemActor;

/** The system actor used by in-process callers such as `spin start`. */
export const SYSTEM_ACTOR: SystemActor = { kind: 'system', name: 'system' };

/** The id written to `audit_log.actor` for an actor. */
export function actorId(actor: Actor): string {
  return actor.kind === 'user' ? actor.userId : `system:${actor.name}`;
}
