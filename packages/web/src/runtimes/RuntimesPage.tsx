import { useEffect, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { pairRuntime } from '@spin/client';
import type { Runtime, User } from '@spin/protocol';
import { api, isUnauthenticated, toErrorInfo, type ErrorInfo } from '../app/api';
import { canPairRuntimes, checkPairForm } from './pairForm';

function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * `/runtimes`: the runtimes paired with this server and, for workspace owners and org admins,
 * the form that pairs another one (DESIGN.md §1 "Pairing a runtime").
 */
export function RuntimesPage({
  user,
  onUnauthenticated,
}: {
  user: User;
  onUnauthenticated: () => void;
}) {
  const runtimes = useQuery({ queryKey: ['runtimes'], queryFn: () => api.listRuntimes() });
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: () => api.listWorkspaces() });

  const unauthenticated = isUnauthenticated(runtimes.error) || isUnauthenticated(workspaces.error);
  useEffect(() => {
    if (unauthenticated) onUnauthenticated();
  }, [unauthenticated, onUnauthenticated]);

  // Org admins may pair without any workspace; members wait for their roles.
  const mayPair =
    user.orgRole === 'admin' || (workspaces.data ? canPairRuntimes(user, workspaces.data) : false);

  return (
    <main className="page">
      <div className="list-header">
        <h1>Runtimes</h1>
      </div>
      <p className="muted page-intro">
        A runtime runs cells inside your own infrastructure. This server keeps only its public keys;
        programs are sealed to those keys and relayed by your browser.
      </p>
      {runtimes.isPending && <p className="muted">Loading…</p>}
      {runtimes.error && !isUnauthenticated(runtimes.error) && (
        <ErrorBox error={toErrorInfo(runtimes.error)} />
      )}
      {runtimes.data && <RuntimeTable runtimes={runtimes.data} />}
      {mayPair ? (
        <PairForm />
      ) : (
        workspaces.data && (
          <p className="muted" data-testid="pair-not-allowed">
            Only workspace owners and organisation admins can pair runtimes.
          </p>
        )
      )}
    </main>
  );
}

function ErrorBox({ error, testId }: { error: ErrorInfo; testId?: string }) {
  return (
    <div className="error-box" role="alert" data-testid={testId}>
      <code>{error.code}</code> {error.message}
    </div>
  );
}

function RuntimeTable({ runtimes }: { runtimes: Runtime[] }) {
  if (runtimes.length === 0) {
    return (
      <p className="muted empty" data-testid="no-runtimes">
        No runtime is paired yet, so cells cannot run. Start one with <code>spin runtime</code> and
        pair it below.
      </p>
    );
  }
  const sorted = [...runtimes].sort((a, b) => a.pairedAt.localeCompare(b.pairedAt));
  return (
    <table className="runtime-table" data-testid="runtime-list">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">URL</th>
          <th scope="col">Key fingerprint</th>
          <th scope="col">Paired</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((r) => (
          <tr key={r.id} data-testid="runtime-row" data-runtime-id={r.id}>
            <td className="runtime-name-cell">{r.name}</td>
            <td>
              <code>{r.url}</code>
            </td>
            <td>
              <code className="fingerprint" data-testid="runtime-fingerprint">
                {r.fingerprint}
              </code>
            </td>
            <td className="muted">
              <time dateTime={r.pairedAt}>{formatTime(r.pairedAt)}</time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PairForm() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  // The SPIN_TOKEN lives only in this input's state while the admin types: it is sent to the
  // runtime once, never to the server, and cleared after a successful pairing.
  const [token, setToken] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [paired, setPaired] = useState<Runtime | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setPaired(null);
    const checked = checkPairForm({ name, url, token, fingerprint }, window.location.protocol);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    setBusy(true);
    pairRuntime({ api, allowedOrigins: [window.location.origin], ...checked.value })
      .then(
        (runtime) => {
          setToken('');
          setName('');
          setUrl('');
          setFingerprint('');
          setPaired(runtime);
          void queryClient.invalidateQueries({ queryKey: ['runtimes'] });
        },
        (err: unknown) => setError(toErrorInfo(err)),
      )
      .finally(() => setBusy(false));
  };

  return (
    <section className="pair-panel" aria-labelledby="pair-heading">
      <h2 id="pair-heading">Pair a runtime</h2>
      <p className="muted">
        Enter the runtime&apos;s URL and the <code>SPIN_TOKEN</code> it was started with. Your
        browser sends this server&apos;s public keys and this page&apos;s origin to the runtime,
        then registers the runtime&apos;s keys here. The token is never sent to the server.
      </p>
      <form className="pair-form" onSubmit={submit} noValidate>
        <label>
          Name
          <input
            data-testid="pair-name"
            required
            maxLength={200}
            placeholder="eu-prod-runtime"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label>
          URL
          <input
            data-testid="pair-url"
            type="url"
            required
            placeholder="https://runtime.internal:8888"
            autoComplete="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
        </label>
        <label>
          SPIN_TOKEN
          <input
            data-testid="pair-token"
            type="password"
            required
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        </label>
        <label>
          <span>
            Key fingerprint <span className="muted">(optional)</span>
          </span>
          <input
            data-testid="pair-fingerprint"
            className="mono-input"
            placeholder="SHA256:…"
            spellCheck={false}
            autoComplete="off"
            value={fingerprint}
            onChange={(e) => setFingerprint(e.target.value)}
          />
        </label>
        <div className="pair-actions">
          <button
            type="submit"
            className="btn btn-primary"
            data-testid="pair-submit"
            disabled={busy}
          >
            {busy ? 'Pairing…' : 'Pair runtime'}
          </button>
        </div>
      </form>
      {error && <ErrorBox error={error} testId="pair-error" />}
      {paired && (
        <div className="notice pair-result" role="status" data-testid="pair-result">
          Paired <strong>{paired.name}</strong>. Registered key fingerprint:{' '}
          <code className="fingerprint">{paired.fingerprint}</code>
          <br />
          Compare it with the key fingerprint the runtime printed when it started. If they differ,
          something else answered in the runtime&apos;s place: do not use this runtime.
        </div>
      )}
    </section>
  );
}
