import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  PROCESSOR_MANIFESTS,
  type AnyProcessorManifest,
  type ConnectionSummary,
  type WorkspaceDetail,
} from '@spin/protocol';
import { api, isForbidden, toErrorInfo } from '../app/api';
import { useTestTarget } from './useTestTarget';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { schemaFields } from '../forms/schemaFields';
import { ErrorBox } from '../runtimes/PairPanel';
import { ConnectionEditor } from './ConnectionEditor';
import { ConnectionTester, type ConnectionTestResult } from './connectionTest';
import { WorkspacePicker, allows, useWorkspaceChoice } from './WorkspacePicker';
import { ConfirmDelete } from '../forms/ConfirmDelete';
import { keys } from '../app/queryKeys';

function manifestOf(processor: string): AnyProcessorManifest | undefined {
  return (PROCESSOR_MANIFESTS as Record<string, AnyProcessorManifest>)[processor];
}

/** Processors a connection makes sense for: those with connection fields. */
export const CONNECTABLE = Object.values(
  PROCESSOR_MANIFESTS as Record<string, AnyProcessorManifest>,
).filter((m) => schemaFields(m.configSchema).length + schemaFields(m.secretsSchema).length > 0);

/**
 * `/connections`: the connections a workspace's cells may use — its own and those inherited
 * from parent workspaces (marked). Owners create, edit, set defaults, delete; owners and
 * editors see config and test; agents and viewers see names and types only.
 */
export function ConnectionsPage() {
  useDocumentTitle('Connections');
  const { workspaces, list, current, choose } = useWorkspaceChoice();
  const [editing, setEditing] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const connections = useQuery({
    queryKey: keys.connections.list(current?.id ?? ''),
    queryFn: () => api.listConnections(current!.id),
    enabled: current !== null,
  });
  const canManage = allows(current, 'connection.manage');

  return (
    <main className="page connections-page">
      <div className="list-header">
        <h1>Connections</h1>
        <WorkspacePicker
          list={list}
          current={current}
          onChoose={(id) => {
            choose(id);
            setEditing(null);
            setCreating(false);
          }}
          testId="connections-workspace"
        />
      </div>
      <p className="muted page-intro">
        Integration cells name a connection (or use their type&apos;s default). Write-only fields
        are never shown again once saved; they may hold a <code>{'{{secret:NAME}}'}</code> reference
        to a secret.
      </p>
      {workspaces.error && <ErrorBox error={toErrorInfo(workspaces.error)} />}
      {workspaces.data && list.length === 0 && (
        <p className="muted">You are not a member of any workspace yet.</p>
      )}
      {connections.error && <ErrorBox error={toErrorInfo(connections.error)} />}
      {connections.isPending && current && <p className="muted">Loading…</p>}
      {current && connections.data && (
        <ConnectionTable
          workspace={current}
          workspaces={list}
          connections={connections.data}
          editing={editing}
          onEdit={(id) => {
            setEditing(id);
            setCreating(false);
          }}
        />
      )}
      {current && editing && (
        <EditExisting
          key={editing}
          id={editing}
          workspaceId={current.id}
          workspaces={list}
          onDone={() => setEditing(null)}
        />
      )}
      {current && canManage && !editing && (
        <section className="pair-panel" aria-labelledby="connection-create-heading">
          <h2 id="connection-create-heading">New connection</h2>
          {creating ? (
            <NewConnection workspaceId={current.id} onDone={() => setCreating(false)} />
          ) : (
            <button
              type="button"
              className="btn btn-primary"
              data-testid="connection-new"
              onClick={() => setCreating(true)}
            >
              Add a connection
            </button>
          )}
        </section>
      )}
    </main>
  );
}

function ConnectionTable({
  workspace,
  workspaces,
  connections,
  editing,
  onEdit,
}: {
  workspace: WorkspaceDetail;
  workspaces: readonly WorkspaceDetail[];
  connections: ConnectionSummary[];
  editing: string | null;
  onEdit: (id: string) => void;
}) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, 'running' | ConnectionTestResult>>({});
  const home = (c: ConnectionSummary) => workspaces.find((w) => w.id === c.workspaceId);
  const invalidate = () => void queryClient.invalidateQueries({ queryKey: keys.connections.all });
  const setDefault = useMutation({
    mutationFn: (id: string) => api.updateConnection(id, { isDefault: true }),
    onSuccess: invalidate,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.deleteConnection(id),
    onSuccess: () => {
      setConfirming(null);
      invalidate();
    },
  });
  const canTestHere = allows(workspace, 'connection.test');
  const target = useTestTarget(workspace, canTestHere);
  const [tester, setTester] = useState<ConnectionTester | null>(null);
  useEffect(() => {
    const t = new ConnectionTester();
    setTester(t);
    return () => t.close();
  }, []);
  const runTest = (id: string) => {
    if (!target.ready || !tester) return;
    setTests((t) => ({ ...t, [id]: 'running' }));
    tester
      .test({ connectionId: id, notebookId: target.notebookId, runtime: target.runtime })
      .catch((err: unknown) => {
        const e = toErrorInfo(err);
        return { ok: false, text: `${e.code}: ${e.message}` };
      })
      .then((r) => setTests((t) => ({ ...t, [id]: r })));
  };

  if (connections.length === 0) {
    return (
      <p className="muted empty" data-testid="no-connections">
        No connections in this workspace yet.
      </p>
    );
  }
  return (
    <>
      {setDefault.error && <ErrorBox error={toErrorInfo(setDefault.error)} />}
      {remove.error && <ErrorBox error={toErrorInfo(remove.error)} testId="connection-error" />}
      {canTestHere && target.note && (
        <p className="muted" data-testid="connection-test-unavailable">
          {target.note}
        </p>
      )}
      <table className="runtime-table" data-testid="connection-list">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Default</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {connections.map((c) => {
            const owner = home(c);
            const inherited = c.workspaceId !== workspace.id;
            const canView = allows(owner, 'connection.view');
            const canManage = allows(owner, 'connection.manage');
            const canTest = canTestHere && allows(owner, 'connection.test');
            const test = tests[c.id];
            return (
              <tr
                key={c.id}
                data-testid="connection-row"
                data-name={c.name}
                data-connection-id={c.id}
                className={editing === c.id ? 'selected' : undefined}
              >
                <td className="runtime-name-cell">
                  {c.name}
                  {inherited && (
                    <span className="chip inherited-tag" data-testid="connection-inherited">
                      inherited from {owner?.name ?? 'a parent workspace'}
                    </span>
                  )}
                </td>
                <td data-testid="connection-type">
                  {manifestOf(c.processor)?.name ?? c.processor}
                </td>
                <td data-testid="connection-default">
                  {c.isDefault ? (
                    <span className="chip">default</span>
                  ) : (
                    canManage && (
                      <button
                        type="button"
                        className="btn btn-small"
                        data-testid="connection-set-default"
                        disabled={setDefault.isPending}
                        onClick={() => setDefault.mutate(c.id)}
                      >
                        Set default
                      </button>
                    )
                  )}
                </td>
                <td className="row-actions">
                  {canTest && (
                    <button
                      type="button"
                      className="btn btn-small"
                      data-testid="connection-test"
                      disabled={!target.ready || test === 'running'}
                      onClick={() => runTest(c.id)}
                    >
                      {test === 'running' ? 'Testing…' : 'Test'}
                    </button>
                  )}
                  {canView && (
                    <button
                      type="button"
                      className="btn btn-small"
                      data-testid="connection-edit"
                      onClick={() => onEdit(c.id)}
                    >
                      {canManage ? 'Edit' : 'View'}
                    </button>
                  )}
                  {canManage && (
                    <ConfirmDelete
                      name={c.name}
                      testId="connection-delete"
                      confirming={confirming === c.id}
                      pending={remove.isPending}
                      onAsk={() => setConfirming(c.id)}
                      onCancel={() => setConfirming(null)}
                      onConfirm={() => remove.mutate(c.id)}
                    />
                  )}
                  {test && test !== 'running' && (
                    <div
                      className={test.ok ? 'form-ok' : 'form-error'}
                      role="status"
                      data-testid="connection-test-result"
                      data-ok={String(test.ok)}
                    >
                      {test.ok ? test.text : `✗ ${test.text}`}
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {canTestHere && target.ready && target.choices}
    </>
  );
}

function EditExisting({
  id,
  workspaceId,
  workspaces,
  onDone,
}: {
  id: string;
  workspaceId: string;
  workspaces: readonly WorkspaceDetail[];
  onDone: () => void;
}) {
  const connection = useQuery({
    queryKey: keys.connections.detail(id),
    queryFn: () => api.getConnection(id),
  });
  const manifest = connection.data && manifestOf(connection.data.processor);
  return (
    <section className="pair-panel" aria-labelledby="connection-edit-heading">
      <h2 id="connection-edit-heading">{connection.data?.name ?? 'Connection'}</h2>
      {connection.error &&
        (isForbidden(connection.error) ? (
          <p className="muted" data-testid="connection-forbidden">
            Your role shows this connection&apos;s name and type only.
          </p>
        ) : (
          <ErrorBox error={toErrorInfo(connection.error)} />
        ))}
      {connection.isPending && <p className="muted">Loading…</p>}
      {connection.data && !manifest && (
        <p className="muted">This build has no {connection.data.processor} integration.</p>
      )}
      {connection.data && manifest && (
        <ConnectionEditor
          workspaceId={workspaceId}
          manifest={manifest}
          existing={connection.data}
          canManage={allows(
            workspaces.find((w) => w.id === connection.data.workspaceId),
            'connection.manage',
          )}
          onDone={onDone}
        />
      )}
    </section>
  );
}

function NewConnection({ workspaceId, onDone }: { workspaceId: string; onDone: () => void }) {
  const [processor, setProcessor] = useState(CONNECTABLE[0]?.id ?? '');
  const manifest = manifestOf(processor);
  return (
    <>
      <label className="form-row">
        <span className="form-label">Type</span>
        <select
          data-testid="connection-processor"
          value={processor}
          onChange={(e) => setProcessor(e.target.value)}
        >
          {CONNECTABLE.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      {manifest && (
        <ConnectionEditor
          key={manifest.id}
          workspaceId={workspaceId}
          manifest={manifest}
          existing={null}
          canManage
          onDone={onDone}
        />
      )}
    </>
  );
}
