import { useQuery } from '@tanstack/react-query';
import type { Runtime, User, Workspace } from '@spin/protocol';
import { api, isUnauthenticated, toErrorInfo } from '../app/api';
import { ErrorBox, PairPanel } from './PairPanel';
import { canPairRuntimes, pairableWorkspaces } from './pairForm';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { keys } from '../app/queryKeys';

function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * `/runtimes`: the runtimes paired with this server and, for workspace owners and org admins,
 * the form that pairs another one (DESIGN.md §1 "Pairing a runtime").
 */
export function RuntimesPage({ user }: { user: User }) {
  useDocumentTitle('Runtimes');
  const runtimes = useQuery({ queryKey: keys.runtimes.list(), queryFn: () => api.listRuntimes() });
  const workspaces = useQuery({
    queryKey: keys.workspaces.list(),
    queryFn: () => api.listWorkspaces(),
  });

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
      {runtimes.data && (
        <RuntimeTable runtimes={runtimes.data} workspaces={workspaces.data ?? []} />
      )}
      {mayPair ? (
        <PairPanel workspaces={pairableWorkspaces(user, workspaces.data ?? [])} />
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

function RuntimeTable({
  runtimes,
  workspaces,
}: {
  runtimes: Runtime[];
  workspaces: readonly Workspace[];
}) {
  const workspaceName = (id: string) => workspaces.find((w) => w.id === id)?.name ?? id;
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
          <th scope="col">Workspace</th>
          <th scope="col">URL</th>
          <th scope="col">Key fingerprint</th>
          <th scope="col">Paired</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((r) => (
          <tr key={r.id} data-testid="runtime-row" data-runtime-id={r.id}>
            <td className="runtime-name-cell">{r.name}</td>
            <td data-testid="runtime-workspace">{workspaceName(r.workspaceId)}</td>
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
