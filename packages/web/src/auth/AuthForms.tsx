import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { SessionInfo } from '@spin/protocol';
import { api, toErrorInfo, type ErrorInfo } from '../app/api';
import { useDocumentTitle } from '../app/useDocumentTitle';

function useSubmit(action: () => Promise<SessionInfo>, onDone: (info: SessionInfo) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    action().then(onDone, (err: unknown) => {
      setError(toErrorInfo(err));
      setBusy(false);
    });
  };
  return { busy, error, submit };
}

function AuthError({ error }: { error: ErrorInfo | null }) {
  if (!error) return null;
  return (
    <div className="auth-error" data-testid="auth-error" role="alert" title={error.code}>
      {error.message}
    </div>
  );
}

/** First-run sign-up: the first user becomes the organisation's admin. */
export function SignupForm({ onDone }: { onDone: (info: SessionInfo) => void }) {
  useDocumentTitle('Create the first account');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useSubmit(() => api.signup({ name, email, password }), onDone);
  return (
    <main className="auth-page">
      <form className="auth-card" onSubmit={submit} aria-labelledby="signup-heading">
        <h1 id="signup-heading">Create the first account</h1>
        <p className="muted">
          This server has no users yet. The first account becomes the administrator.
        </p>
        <label>
          Name
          <input
            data-testid="signup-name"
            autoComplete="name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label>
          Email
          <input
            data-testid="signup-email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            data-testid="signup-password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <AuthError error={error} />
        <button
          className="btn btn-primary"
          data-testid="signup-submit"
          type="submit"
          disabled={busy}
        >
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
    </main>
  );
}

type Sso = { label: string; loginUrl: string } | undefined;

/** Password sign-in, plus the single sign-on button when the server has OIDC configured. */
export function LoginForm({ onDone, sso }: { onDone: (info: SessionInfo) => void; sso?: Sso }) {
  useDocumentTitle('Sign in');
  return (
    <main className="auth-page">
      <LoginFields onDone={onDone} sso={sso} heading="Sign in to SPIN" />
    </main>
  );
}

/**
 * The session ended under an open page: sign in again in a modal dialog over it, so the page
 * (an open notebook with edits not yet saved) stays as it was. It cannot be dismissed: every
 * request would fail until the user signs in (or logs out by closing the tab).
 */
export function SignInAgainDialog({
  onDone,
  sso,
}: {
  onDone: (info: SessionInfo) => void;
  sso?: Sso;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className="auth-dialog"
      aria-labelledby="login-heading"
      data-testid="signin-again"
      onCancel={(e) => e.preventDefault()}
    >
      <LoginFields
        onDone={onDone}
        sso={sso}
        heading="Your session ended"
        note="Sign in again to continue where you were. Nothing on this page was lost."
      />
    </dialog>
  );
}

function LoginFields({
  onDone,
  sso,
  heading,
  note,
}: {
  onDone: (info: SessionInfo) => void;
  sso: Sso;
  heading: string;
  note?: string;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useSubmit(() => api.login({ email, password }), onDone);
  return (
    <form className="auth-card" onSubmit={submit} aria-labelledby="login-heading">
      <h1 id="login-heading">{heading}</h1>
      {note && <p data-testid="signin-again-note">{note}</p>}
      <label>
        Email
        <input
          data-testid="login-email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      <label>
        Password
        <input
          data-testid="login-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <AuthError error={error} />
      <button className="btn btn-primary" data-testid="login-submit" type="submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      {!note && (
        <p className="muted" data-testid="login-invite-hint">
          New here? Sign-up is by invitation: ask a workspace owner for an invitation link.
        </p>
      )}
      {sso && (
        <a
          className="btn sso-button"
          data-testid="login-sso"
          href={`${sso.loginUrl}?returnTo=${encodeURIComponent(window.location.pathname)}`}
        >
          {sso.label}
        </a>
      )}
    </form>
  );
}
