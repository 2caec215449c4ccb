import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { AcceptedInvitation, SessionInfo, User } from '@spin/protocol';
import { api, toErrorInfo, type ErrorInfo } from '../app/api';
import { navigate } from '../app/routing';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { keys } from '../app/queryKeys';

/**
 * `/invite/:token`: what the invitation grants, then accept it — signed in already, by signing
 * in, or by creating an account (works while open sign-up is closed: the invitation is the
 * permit). The token stays in this page; it is sent only in request bodies.
 */
export function InvitePage({
  token,
  user,
  onSignedIn,
}: {
  token: string;
  /** The signed-in user, or null. */
  user: User | null;
  onSignedIn: (info: SessionInfo) => void;
}) {
  useDocumentTitle('Join a workspace');
  const queryClient = useQueryClient();
  const preview = useQuery({
    queryKey: keys.members.invitation(token),
    queryFn: () => api.members.lookupInvitation(token),
    retry: false,
  });
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);

  /** Joined: go to the notebooks, with fresh lists (the new workspace changes all of them). */
  const joined = (_accepted: AcceptedInvitation, info?: SessionInfo) => {
    queryClient.clear();
    navigate('/', { replace: true });
    if (info) onSignedIn(info);
  };

  const attempt = (action: () => Promise<void>) => (e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    setError(null);
    action().then(
      () => setBusy(false),
      (err: unknown) => {
        setError(toErrorInfo(err));
        setBusy(false);
      },
    );
  };

  return (
    <main className="auth-page">
      <div className="auth-card invite-card" data-testid="invite-page">
        <h1>Join a SPIN workspace</h1>
        {preview.isPending && <p className="muted">Checking the invitation…</p>}
        {preview.error && (
          <div className="auth-error" role="alert" data-testid="invite-invalid">
            <strong>This invitation cannot be used.</strong> {toErrorInfo(preview.error).message}
            <p className="muted">Ask a workspace owner for a new link.</p>
          </div>
        )}
        {preview.data && (
          <>
            <p data-testid="invite-summary">
              {preview.data.invitedBy ?? 'A workspace owner'} invited you to{' '}
              <strong>{preview.data.workspaceName}</strong> as <strong>{preview.data.role}</strong>.
            </p>
            {user ? (
              <>
                <p className="muted">Signed in as {user.email}.</p>
                <button
                  type="button"
                  className="btn btn-primary"
                  data-testid="invite-accept"
                  disabled={busy}
                  onClick={attempt(async () => joined(await api.members.acceptInvitation(token)))}
                >
                  Accept invitation
                </button>
              </>
            ) : (
              <SignUpOrSignIn
                busy={busy}
                onSignup={(body) =>
                  attempt(async () => {
                    const res = await api.members.signupWithInvitation({ ...body, token });
                    joined(res.accepted, res);
                  })()
                }
                onLogin={(body) =>
                  attempt(async () => {
                    const info = await api.login(body);
                    joined(await api.members.acceptInvitation(token), info);
                  })()
                }
              />
            )}
            {error && (
              <div
                className="auth-error"
                role="alert"
                data-testid="invite-error"
                title={error.code}
              >
                {error.message}
              </div>
            )}
          </>
        )}
      </div>
    </main>
  );
}

function SignUpOrSignIn({
  busy,
  onSignup,
  onLogin,
}: {
  busy: boolean;
  onSignup: (body: { name: string; email: string; password: string }) => void;
  onLogin: (body: { email: string; password: string }) => void;
}) {
  const [mode, setMode] = useState<'signup' | 'login'>('signup');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (mode === 'signup') onSignup({ name, email, password });
    else onLogin({ email, password });
  };
  return (
    <form onSubmit={submit} className="invite-form-stack">
      <div className="segmented" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'signup'}
          className={`btn${mode === 'signup' ? ' active' : ''}`}
          data-testid="invite-mode-signup"
          onClick={() => setMode('signup')}
        >
          Create an account
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={mode === 'login'}
          className={`btn${mode === 'login' ? ' active' : ''}`}
          data-testid="invite-mode-login"
          onClick={() => setMode('login')}
        >
          I have an account
        </button>
      </div>
      {mode === 'signup' && (
        <label>
          Name
          <input
            data-testid="invite-name"
            autoComplete="name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
      )}
      <label>
        Email
        <input
          data-testid="invite-email"
          type="email"
          autoComplete={mode === 'signup' ? 'email' : 'username'}
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      <label>
        Password
        <input
          data-testid="invite-password"
          type="password"
          autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
          required
          minLength={mode === 'signup' ? 8 : 1}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <button className="btn btn-primary" data-testid="invite-submit" type="submit" disabled={busy}>
        {mode === 'signup' ? 'Create account and join' : 'Sign in and join'}
      </button>
    </form>
  );
}
