/** A signed-in user acting through a browser/API session. */
export interface UserActor {
  kind: 'user';
  userId: string;
  email: string;
  name: string;
  orgRole: 'admin' | 'member';
  /** Set when the request authenticated with an API token: what the token confines it to. */
  token?: TokenScope;
  /**
   * Set when the cookie session came from this process's cache without a database read: the
   * authorizer must confirm it before deciding anything (see {@link UnverifiedSession}).
   */
  unverified?: UnverifiedSession;
}

/**
 * A cookie session taken from the per-process session cache, stamped with the authorization
 * epoch it was read under (services/authService.ts). Every write that ends a session or changes
 * what its actor says bumps the epoch (migrations 0010 and 0012), so the session still holds
 * exactly when the epoch the authorizer reads with the resource equals `epoch`; otherwise the
 * authorizer calls `recheck()` (one read of the session) and decides with what it returns.
 */
export interface UnverifiedSession {
  epoch: number;
  /** The session's actor as the database has it now (verified), or null if it ended. */
  recheck: () => Promise<UserActor | null>;
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
