import { useSyncExternalStore, type MouseEvent } from 'react';

/** Pages of the app; History API routing, no router dependency. */
export type Route =
  | { name: 'list' }
  | { name: 'notebook'; id: string }
  | { name: 'runtimes' }
  | { name: 'integrations' }
  | { name: 'members'; workspaceId: string | null }
  | { name: 'invite'; token: string }
  | { name: 'workspaces' }
  | { name: 'tokens' }
  | { name: 'connections' }
  | { name: 'secrets' }
  | { name: 'audit' };

/** The page that lists paired runtimes and pairs new ones. */
export const RUNTIMES_PATH = '/runtimes';
/** The page that lists the integrations (processors) of this build. */
export const INTEGRATIONS_PATH = '/integrations';
/** The page that lists, creates and configures workspaces. */
export const WORKSPACES_PATH = '/workspaces';

/** The members page of the first workspace (it offers a workspace switcher). */
export const MEMBERS_PATH = '/members';

/** The members page of one workspace. */
export function membersPath(workspaceId: string): string {
  return `/workspaces/${encodeURIComponent(workspaceId)}/members`;
}

/** The page that lists, creates and revokes the user's API tokens. */
export const TOKENS_PATH = '/tokens';

/** A workspace's connections (its own and inherited). */
export const CONNECTIONS_PATH = '/connections';
/** A workspace's secrets (names and where values live, never values). */
export const SECRETS_PATH = '/secrets';
/** The audit log with its filters, chain verification and export. */
export const AUDIT_PATH = '/audit';

/** Map a pathname to a route; anything unknown is the notebook list. */
export function parseRoute(pathname: string): Route {
  if (/^\/runtimes\/?$/.test(pathname)) return { name: 'runtimes' };
  if (/^\/integrations\/?$/.test(pathname)) return { name: 'integrations' };
  if (/^\/members\/?$/.test(pathname)) return { name: 'members', workspaceId: null };
  const members = /^\/workspaces\/([^/]+)\/members\/?$/.exec(pathname);
  const workspaceId = members && safeDecode(members[1]!);
  if (workspaceId) return { name: 'members', workspaceId };
  // invitation tokens are base64url: no decoding needed, and nothing else is accepted
  const invite = /^\/invite\/([A-Za-z0-9_-]{1,256})\/?$/.exec(pathname);
  if (invite) return { name: 'invite', token: invite[1]! };
  if (/^\/workspaces\/?$/.test(pathname)) return { name: 'workspaces' };
  if (/^\/tokens\/?$/.test(pathname)) return { name: 'tokens' };
  if (/^\/connections\/?$/.test(pathname)) return { name: 'connections' };
  if (/^\/secrets\/?$/.test(pathname)) return { name: 'secrets' };
  if (/^\/audit\/?$/.test(pathname)) return { name: 'audit' };
  const m = /^\/notebooks\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    try {
      const id = decodeURIComponent(m[1]!);
      if (id) return { name: 'notebook', id };
    } catch {
      // malformed escape: fall through to the list
    }
  }
  return { name: 'list' };
}

function safeDecode(part: string): string | null {
  try {
    return decodeURIComponent(part) || null;
  } catch {
    return null; // malformed escape
  }
}

export function notebookPath(id: string): string {
  return `/notebooks/${encodeURIComponent(id)}`;
}

const listeners = new Set<() => void>();
function emit() {
  for (const l of listeners) l();
}

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === window.location.pathname) return;
  if (opts.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  emit();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

/** The current pathname, re-rendering on navigation and back/forward. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** onClick for in-app links: plain left clicks navigate without a reload. */
export function linkClick(path: string) {
  return (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
      return;
    e.preventDefault();
    navigate(path);
  };
}
