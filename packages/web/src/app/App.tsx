import { ThemeToggle } from './ThemeToggle';
import { useCallback, useEffect, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { SessionInfo, User } from '@spin/protocol';
import { LoginForm, SignInAgainDialog, SignupForm } from '../auth/AuthForms';
import { NotebookList } from '../notebooks/NotebookList';
import { NotebookPage } from '../notebook/NotebookPage';
import { RuntimesPage } from '../runtimes/RuntimesPage';
import { IntegrationsPage } from '../integrations/IntegrationsPage';
import { InvitePage } from '../members/InvitePage';
import { MembersPage } from '../members/MembersPage';
import { WorkspacesPage } from '../workspaces/WorkspacesPage';
import { TokensPage } from '../tokens/TokensPage';
import { ConnectionsPage } from '../connections/ConnectionsPage';
import { SecretsPage } from '../secrets/SecretsPage';
import { AuditPage } from '../audit/AuditPage';
import {
  api,
  isUnauthenticated,
  notifySignedInAgain,
  onUnauthenticated,
  toErrorInfo,
  type ErrorInfo,
} from './api';
import {
  AUDIT_PATH,
  CONNECTIONS_PATH,
  SECRETS_PATH,
  INTEGRATIONS_PATH,
  MEMBERS_PATH,
  RUNTIMES_PATH,
  WORKSPACES_PATH,
  TOKENS_PATH,
  linkClick,
  navigate,
  parseRoute,
  usePathname,
} from './routing';
import { useRuntimeStatus } from './runtimeStatus';
import { keys } from './queryKeys';

type AuthView =
  | { kind: 'loading' }
  | { kind: 'signup' }
  | { kind: 'login'; sso?: { label: string; loginUrl: string } | undefined }
  | { kind: 'in'; user: User }
  /** The session ended under an open page: the page stays (unsaved edits too) under a sign-in. */
  | { kind: 'expired'; user: User; sso?: { label: string; loginUrl: string } | undefined }
  | { kind: 'error'; error: ErrorInfo };

/** Decide what to show on start: the app, the first-user sign-up, or the login form. */
async function resolveAuth(): Promise<AuthView> {
  try {
    // the state says whether a session exists, so a signed-out start asks for no 401
    const state = await api.authState();
    if (state.signedIn) {
      try {
        const info = await api.me();
        return { kind: 'in', user: info.user };
      } catch (err) {
        if (!isUnauthenticated(err)) throw err; // the session ended in between: sign in again
      }
    }
    return state.signupOpen ? { kind: 'signup' } : { kind: 'login', sso: state.sso };
  } catch (err) {
    return { kind: 'error', error: toErrorInfo(err) };
  }
}

export function App() {
  const [auth, setAuth] = useState<AuthView>({ kind: 'loading' });
  const queryClient = useQueryClient();
  const route = parseRoute(usePathname());

  const refreshAuth = useCallback(() => {
    void resolveAuth().then(setAuth);
  }, []);
  useEffect(refreshAuth, [refreshAuth]);

  // The one 401 handler: whichever request finds the session gone (a query, a mutation or an
  // autosave, on any page), ask to sign in again over the page, which stays as it was; many
  // requests failing at once ask once.
  const signedInUser = auth.kind === 'in' ? auth.user : null;
  useEffect(() => {
    if (!signedInUser) return;
    let asked = false;
    return onUnauthenticated(() => {
      if (asked) return;
      asked = true;
      void resolveAuth().then((next) => {
        if (next.kind === 'login') setAuth({ kind: 'expired', user: signedInUser, sso: next.sso });
        else if (next.kind !== 'in') setAuth(next);
        else asked = false; // signed in after all (another tab): nothing to do
      });
    });
  }, [signedInUser]);

  const signedInAgain = (info: SessionInfo, before: User) => {
    setAuth({ kind: 'in', user: info.user });
    if (info.user.id !== before.id) {
      queryClient.clear(); // someone else: the shell starts over (its key is the user)
      return;
    }
    void queryClient.invalidateQueries();
    notifySignedInAgain();
  };

  const logout = async () => {
    try {
      await api.logout();
    } catch {
      // the session may already be gone; either way show the login form
    }
    queryClient.clear();
    refreshAuth();
  };

  switch (auth.kind) {
    case 'loading':
      return <p className="boot muted">Loading SPIN…</p>;
    case 'error':
      return (
        <main className="auth-page">
          <div className="auth-card">
            <h1>Cannot reach the SPIN server</h1>
            <div className="error-box" role="alert">
              <code>{auth.error.code}</code> {auth.error.message}
            </div>
            <button type="button" className="btn btn-primary" onClick={refreshAuth}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'signup':
    case 'login':
      // an invitation link is its own way in, whether or not open sign-up is closed
      if (route.name === 'invite') {
        return (
          <InvitePage
            token={route.token}
            user={null}
            onSignedIn={(info) => setAuth({ kind: 'in', user: info.user })}
          />
        );
      }
      return auth.kind === 'signup' ? (
        <SignupForm onDone={(info) => setAuth({ kind: 'in', user: info.user })} />
      ) : (
        <LoginForm sso={auth.sso} onDone={(info) => setAuth({ kind: 'in', user: info.user })} />
      );
    case 'in':
    case 'expired':
      return (
        <>
          <Shell key={auth.user.id} user={auth.user} onLogout={() => void logout()} />
          {auth.kind === 'expired' && (
            <SignInAgainDialog sso={auth.sso} onDone={(info) => signedInAgain(info, auth.user)} />
          )}
        </>
      );
  }
}

function Shell({ user, onLogout }: { user: User; onLogout: () => void }) {
  const pathname = usePathname();
  const route = parseRoute(pathname);
  useEffect(() => {
    if (route.name === 'list' && pathname !== '/') navigate('/', { replace: true });
  }, [route.name, pathname]);
  // the audit log is for org admins and workspace owners: others get no link to it
  // its own key: the pages' ['workspaces'] query still loads fresh when a page opens, and
  // invalidating ['workspaces'] refreshes this one too
  const workspaces = useQuery({
    queryKey: keys.workspaces.nav(),
    queryFn: () => api.listWorkspaces(),
  });
  const mayReadAudit =
    user.orgRole === 'admin' ||
    (workspaces.data ?? []).some((w) => w.allowedActions.includes('audit.read'));

  return (
    <div className="app">
      <header className="topbar">
        <a
          className="brand"
          href="/"
          onClick={linkClick('/')}
          title="All notebooks"
          data-testid="nav-home"
        >
          SPIN
        </a>
        <nav className="nav" aria-label="Main">
          <a
            className="nav-link"
            href={WORKSPACES_PATH}
            onClick={linkClick(WORKSPACES_PATH)}
            data-testid="nav-workspaces"
            aria-current={route.name === 'workspaces' ? 'page' : undefined}
          >
            Workspaces
          </a>
          <a
            className="nav-link"
            href={RUNTIMES_PATH}
            onClick={linkClick(RUNTIMES_PATH)}
            data-testid="nav-runtimes"
            aria-current={route.name === 'runtimes' ? 'page' : undefined}
          >
            Runtimes
          </a>
          <a
            className="nav-link"
            href={INTEGRATIONS_PATH}
            onClick={linkClick(INTEGRATIONS_PATH)}
            data-testid="nav-integrations"
            aria-current={route.name === 'integrations' ? 'page' : undefined}
          >
            Integrations
          </a>
          <a
            className="nav-link"
            href={CONNECTIONS_PATH}
            onClick={linkClick(CONNECTIONS_PATH)}
            data-testid="nav-connections"
            aria-current={route.name === 'connections' ? 'page' : undefined}
          >
            Connections
          </a>
          <a
            className="nav-link"
            href={SECRETS_PATH}
            onClick={linkClick(SECRETS_PATH)}
            data-testid="nav-secrets"
            aria-current={route.name === 'secrets' ? 'page' : undefined}
          >
            Secrets
          </a>
          <a
            className="nav-link"
            href={MEMBERS_PATH}
            onClick={linkClick(MEMBERS_PATH)}
            data-testid="nav-members"
            aria-current={route.name === 'members' ? 'page' : undefined}
          >
            Members
          </a>
          <a
            className="nav-link"
            href={TOKENS_PATH}
            onClick={linkClick(TOKENS_PATH)}
            data-testid="nav-tokens"
            aria-current={route.name === 'tokens' ? 'page' : undefined}
          >
            Tokens
          </a>
          {mayReadAudit && (
            <a
              className="nav-link"
              href={AUDIT_PATH}
              onClick={linkClick(AUDIT_PATH)}
              data-testid="nav-audit"
              aria-current={route.name === 'audit' ? 'page' : undefined}
            >
              Audit
            </a>
          )}
        </nav>
        <RuntimeIndicator />
        <span className="spacer" />
        <ThemeToggle />
        <span className="user" data-testid="current-user" title={user.email}>
          {user.name}
          {user.orgRole === 'admin' && <span className="role-tag">admin</span>}
        </span>
        <button
          type="button"
          className="btn"
          data-testid="logout"
          onClick={onLogout}
          title="Sign out"
        >
          Log out
        </button>
      </header>
      {route.name === 'notebook' ? (
        <NotebookPage id={route.id} />
      ) : route.name === 'runtimes' ? (
        <RuntimesPage user={user} />
      ) : route.name === 'integrations' ? (
        <IntegrationsPage />
      ) : route.name === 'members' ? (
        <MembersPage workspaceId={route.workspaceId} />
      ) : route.name === 'invite' ? (
        <InvitePage token={route.token} user={user} onSignedIn={() => undefined} />
      ) : route.name === 'workspaces' ? (
        <WorkspacesPage />
      ) : route.name === 'tokens' ? (
        <TokensPage />
      ) : route.name === 'connections' ? (
        <ConnectionsPage />
      ) : route.name === 'secrets' ? (
        <SecretsPage />
      ) : route.name === 'audit' ? (
        <AuditPage />
      ) : (
        <NotebookList />
      )}
    </div>
  );
}

function RuntimeIndicator() {
  const { state, runtimeName } = useRuntimeStatus();
  const text = state === 'none' ? 'no runtime session' : state;
  return (
    <span
      className={`runtime-status runtime-${state}`}
      data-testid="runtime-status"
      data-state={state}
      role="status"
      title={
        runtimeName ? `Runtime ${runtimeName}: ${text}` : 'Open a notebook to connect to a runtime'
      }
    >
      <span className="dot" aria-hidden="true" />
      {text}
      {runtimeName && <span className="runtime-name"> · {runtimeName}</span>}
    </span>
  );
}
