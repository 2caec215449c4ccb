import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiToken, ApiTokenKind, CreatedApiToken, Workspace } from '@spin/protocol';
import { api, isUnauthenticated, toErrorInfo } from '../app/api';
import { ErrorBox } from '../runtimes/PairPanel';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { keys } from '../app/queryKeys';

const KIND_LABEL: Record<ApiTokenKind, string> = {
  personal: 'Personal — acts as you',
  agent: 'Agent — the agent role, for AI agents',
  oneshot: 'Oneshot — runs one notebook once',
};
const EXPIRY_DAYS = [1, 7, 30, 90, 365];

function formatTime(iso: string | null): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function tokenState(t: ApiToken): 'revoked' | 'expired' | 'active' {
  if (t.revokedAt) return 'revoked';
  return Date.parse(t.expiresAt) <= Date.now() ? 'expired' : 'active';
}

/**
 * `/tokens`: the caller's API tokens (for scripts, agents and oneshot runs): create one, copy
 * its secret — shown once — list them with last use and expiry, revoke.
 */
export function TokensPage() {
  useDocumentTitle('API tokens');
  const tokens = useQuery({ queryKey: keys.tokens.list(), queryFn: () => api.listTokens() });
  const workspaces = useQuery({
    queryKey: keys.workspaces.list(),
    queryFn: () => api.listWorkspaces(),
  });
  const [created, setCreated] = useState<CreatedApiToken | null>(null);

  return (
    <main className="page">
      <div className="list-header">
        <h1>API tokens</h1>
      </div>
      <p className="muted page-intro">
        Send a token as <code>Authorization: Bearer …</code>. It works in one workspace, never with
        more than your role there, until it expires or you revoke it.
      </p>
      {created && <CreatedSecret created={created} onDismiss={() => setCreated(null)} />}
      {tokens.error && !isUnauthenticated(tokens.error) && (
        <ErrorBox error={toErrorInfo(tokens.error)} />
      )}
      {tokens.isPending && <p className="muted">Loading…</p>}
      {tokens.data && <TokenTable tokens={tokens.data} workspaces={workspaces.data ?? []} />}
      {workspaces.data && <CreateTokenPanel workspaces={workspaces.data} onCreated={setCreated} />}
    </main>
  );
}

function CreatedSecret({
  created,
  onDismiss,
}: {
  created: CreatedApiToken;
  onDismiss: () => void;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="notice token-secret" role="status" data-testid="token-secret">
      <p>
        <strong>{created.token.name}</strong>: copy the secret now — it is not shown again.
      </p>
      <code className="mono-input" data-testid="token-secret-value">
        {created.secret}
      </code>
      <div className="pair-actions">
        <button
          type="button"
          className="btn btn-primary"
          data-testid="token-copy"
          onClick={() =>
            void navigator.clipboard.writeText(created.secret).then(() => setCopied(true))
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>{' '}
        <button type="button" className="btn" onClick={onDismiss}>
          Done
        </button>
      </div>
    </div>
  );
}

function TokenTable({
  tokens,
  workspaces,
}: {
  tokens: ApiToken[];
  workspaces: readonly Workspace[];
}) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: (id: string) => api.revokeToken(id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.tokens.all }),
  });
  const workspaceName = (id: string) => workspaces.find((w) => w.id === id)?.name ?? id;
  if (tokens.length === 0) {
    return (
      <p className="muted empty" data-testid="no-tokens">
        You have no API tokens.
      </p>
    );
  }
  return (
    <>
      {revoke.error && <ErrorBox error={toErrorInfo(revoke.error)} />}
      <table className="runtime-table" data-testid="token-list">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Workspace</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => {
            const state = tokenState(t);
            return (
              <tr key={t.id} data-testid="token-row" data-token-id={t.id} data-state={state}>
                <td className="runtime-name-cell">{t.name}</td>
                <td>
                  {t.kind} <span className="muted">({t.role})</span>
                </td>
                <td>{workspaceName(t.workspaceId)}</td>
                <td className="muted">{formatTime(t.createdAt)}</td>
                <td className="muted">{formatTime(t.lastUsedAt)}</td>
                <td className="muted">{formatTime(t.expiresAt)}</td>
                <td data-testid="token-state">{state}</td>
                <td>
                  {state === 'active' && (
                    <button
                      type="button"
                      className="btn"
                      data-testid="token-revoke"
                      disabled={revoke.isPending}
                      onClick={() => revoke.mutate(t.id)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function CreateTokenPanel({
  workspaces,
  onCreated,
}: {
  workspaces: readonly Workspace[];
  onCreated: (created: CreatedApiToken) => void;
}) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ApiTokenKind>('personal');
  const [workspaceId, setWorkspaceId] = useState(workspaces[0]?.id ?? '');
  const [days, setDays] = useState(30);
  const [notebookId, setNotebookId] = useState('');
  const notebooks = useQuery({
    queryKey: keys.notebooks.list(workspaceId),
    queryFn: () => api.listNotebooks(workspaceId),
    enabled: kind === 'oneshot' && workspaceId !== '',
  });
  const create = useMutation({
    mutationFn: () =>
      api.createToken({
        name,
        kind,
        workspaceId,
        expiresInDays: days,
        ...(kind === 'oneshot' ? { notebookId } : {}),
      }),
    onSuccess: (result) => {
      setName('');
      onCreated(result);
      void queryClient.invalidateQueries({ queryKey: keys.tokens.all });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  if (workspaces.length === 0) {
    return <p className="muted">You are not a member of any workspace yet.</p>;
  }
  return (
    <section className="pair-panel" aria-labelledby="token-create-heading">
      <h2 id="token-create-heading">Create a token</h2>
      <form className="pair-form" onSubmit={submit}>
        <label>
          Name
          <input
            data-testid="token-name"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label>
          Kind
          <select
            data-testid="token-kind"
            value={kind}
            onChange={(e) => setKind(e.target.value as ApiTokenKind)}
          >
            {(Object.keys(KIND_LABEL) as ApiTokenKind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Workspace
          <select
            data-testid="token-workspace"
            value={workspaceId}
            onChange={(e) => setWorkspaceId(e.target.value)}
          >
            {workspaces.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name} ({w.role})
              </option>
            ))}
          </select>
        </label>
        <label>
          Expires after
          <select
            data-testid="token-expiry"
            value={days}
            onChange={(e) => setDays(Number(e.target.value))}
          >
            {EXPIRY_DAYS.map((d) => (
              <option key={d} value={d}>
                {d === 1 ? '1 day' : `${d} days`}
              </option>
            ))}
          </select>
        </label>
        {kind === 'oneshot' && (
          <label>
            Notebook
            <select
              data-testid="token-notebook"
              required
              value={notebookId}
              onChange={(e) => setNotebookId(e.target.value)}
            >
              <option value="">Choose…</option>
              {(notebooks.data ?? []).map((n) => (
                <option key={n.id} value={n.id}>
                  {n.title}
                </option>
              ))}
            </select>
          </label>
        )}
        {create.error && <ErrorBox error={toErrorInfo(create.error)} testId="token-error" />}
        <div className="pair-actions">
          <button
            type="submit"
            className="btn btn-primary"
            data-testid="token-create"
            disabled={create.isPending}
          >
            {create.isPending ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>
    </section>
  );
}
