/**
 * Every TanStack Query key of the app, from one factory. Keys nest, so invalidating a group
 * (`keys.connections.all`) refreshes its lists and its details alike: a connection edited on
 * its own page is fresh in the list too, and the reverse. Pages never spell a key by hand.
 */
const ALL = 'all';

export const keys = {
  auth: {
    all: ['auth'] as const,
    /** The signed-in user and their org role. */
    me: () => [...keys.auth.all, 'me'] as const,
  },
  workspaces: {
    all: ['workspaces'] as const,
    /** Every workspace the user may see, with its allowed actions. */
    list: () => [...keys.workspaces.all, 'list'] as const,
    /** The top bar's copy (it decides the audit link); invalidating `all` refreshes it too. */
    nav: () => [...keys.workspaces.all, 'nav'] as const,
  },
  notebooks: {
    all: ['notebooks'] as const,
    /** Notebooks of one workspace, or of all the user's workspaces. */
    list: (workspaceId?: string) => [...keys.notebooks.all, 'list', workspaceId ?? ALL] as const,
    detail: (id: string) => [...keys.notebooks.all, 'detail', id] as const,
    /** A search over these workspaces by text and tag (the notebook list). */
    search: (workspaceIds: readonly string[], q: string, tag: string) =>
      [...keys.notebooks.all, 'search', workspaceIds, q, tag] as const,
  },
  runtimes: {
    all: ['runtimes'] as const,
    /** Runtimes a notebook of this workspace may run on, or every runtime the user may see. */
    list: (workspaceId?: string) => [...keys.runtimes.all, 'list', workspaceId ?? ALL] as const,
  },
  connections: {
    all: ['connections'] as const,
    list: (workspaceId: string) => [...keys.connections.all, 'list', workspaceId] as const,
    detail: (id: string) => [...keys.connections.all, 'detail', id] as const,
  },
  secrets: {
    all: ['secrets'] as const,
    list: (workspaceId: string) => [...keys.secrets.all, 'list', workspaceId] as const,
  },
  members: {
    all: ['members'] as const,
    list: (workspaceId: string) => [...keys.members.all, 'list', workspaceId] as const,
    invitations: (workspaceId: string) =>
      [...keys.members.all, 'invitations', workspaceId] as const,
    /** An invitation looked up by its link's token (signed in or not). */
    invitation: (token: string) => [...keys.members.all, 'invitation', token] as const,
  },
  tokens: {
    all: ['tokens'] as const,
    list: () => [...keys.tokens.all, 'list'] as const,
  },
  audit: {
    all: ['audit'] as const,
    entries: (filter: object, after: number | undefined) =>
      [...keys.audit.all, 'entries', filter, after ?? null] as const,
    verify: () => [...keys.audit.all, 'verify'] as const,
  },
  session: {
    all: ['session'] as const,
    /** The session record (owner, participants, allowed actions). */
    record: (sid: string) => [...keys.session.all, sid, 'record'] as const,
    /** The session's runs (who, when, status, duration, runtime). */
    timeline: (sid: string) => [...keys.session.all, sid, 'timeline'] as const,
  },
};
