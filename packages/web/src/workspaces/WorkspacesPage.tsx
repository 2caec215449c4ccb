import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { UpdateWorkspaceRequest, WorkspaceDetail } from '@spin/protocol';
import { api, isUnauthenticated, toErrorInfo, type ErrorInfo } from '../app/api';
import { ErrorBox } from '../runtimes/PairPanel';
import { possibleParents, workspaceTree } from './workspaceTree';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { keys } from '../app/queryKeys';

const can = (w: WorkspaceDetail, action: string) => w.allowedActions.includes(action);

/**
 * `/workspaces`: the workspaces the user reaches (inherited ones indented under their
 * parent), a form that creates one, and the settings of the selected one. Controls follow the
 * `allowedActions` the server returns with each workspace.
 */
export function WorkspacesPage() {
  useDocumentTitle('Workspaces');
  const workspaces = useQuery({
    queryKey: keys.workspaces.list(),
    queryFn: () => api.listWorkspaces(),
  });
  const [selectedId, setSelectedId] = useState<string | null>(null);

  const unauthenticated = isUnauthenticated(workspaces.error);

  const list = workspaces.data ?? [];
  const selected = list.find((w) => w.id === selectedId) ?? null;
  return (
    <main className="page">
      <div className="list-header">
        <h1>Workspaces</h1>
      </div>
      <p className="muted page-intro">
        A workspace holds notebooks and runtimes. Members of a workspace are members of the
        workspaces inside it with at least the same role, and may use its runtimes there.
      </p>
      {workspaces.isPending && <p className="muted">Loading…</p>}
      {workspaces.error && !unauthenticated && <ErrorBox error={toErrorInfo(workspaces.error)} />}
      {list.length > 0 && (
        <table className="runtime-table" data-testid="workspace-list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Your role</th>
              <th scope="col">Description</th>
              <th scope="col" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {workspaceTree(list).map(({ workspace: w, depth }) => (
              <tr key={w.id} data-testid="workspace-row" data-workspace-id={w.id}>
                <td className="runtime-name-cell" style={{ paddingLeft: `${8 + depth * 20}px` }}>
                  {depth > 0 && <span className="muted">↳ </span>}
                  {w.name}
                  {w.archivedAt && (
                    <span className="role-tag" data-testid="workspace-archived">
                      archived
                    </span>
                  )}
                </td>
                <td data-testid="workspace-role">{w.role}</td>
                <td className="muted">{w.description}</td>
                <td>
                  {can(w, 'workspace.update') || can(w, 'workspace.archive') ? (
                    <button
                      type="button"
                      className="btn"
                      data-testid="workspace-settings"
                      onClick={() => setSelectedId(w.id)}
                    >
                      Settings
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && (
        <WorkspaceSettings
          key={selected.id}
          workspace={selected}
          all={list}
          onClose={() => setSelectedId(null)}
        />
      )}
      {workspaces.data && <CreateWorkspace all={list} />}
    </main>
  );
}

function CreateWorkspace({ all }: { all: readonly WorkspaceDetail[] }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [parentId, setParentId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const parents = all.filter((w) => can(w, 'workspace.create_child'));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.createWorkspace({ name, ...(parentId ? { parentId } : {}) });
      setName('');
      await queryClient.invalidateQueries({ queryKey: keys.workspaces.all });
    } catch (err) {
      setError(toErrorInfo(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="pair-panel" aria-labelledby="create-workspace-heading">
      <h2 id="create-workspace-heading">New workspace</h2>
      <form className="pair-form" onSubmit={(e) => void submit(e)} noValidate>
        <label>
          Name
          <input
            data-testid="workspace-name"
            required
            maxLength={200}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label>
          Inside
          <select
            data-testid="workspace-parent"
            value={parentId}
            onChange={(e) => setParentId(e.target.value)}
          >
            <option value="">(top level)</option>
            {parents.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <div className="pair-actions">
          <button
            type="submit"
            className="btn btn-primary"
            data-testid="workspace-create"
            disabled={busy || name.trim() === ''}
          >
            {busy ? 'Creating…' : 'Create workspace'}
          </button>
        </div>
      </form>
      {error && <ErrorBox error={error} testId="workspace-create-error" />}
    </section>
  );
}

function WorkspaceSettings({
  workspace: w,
  all,
  onClose,
}: {
  workspace: WorkspaceDetail;
  all: readonly WorkspaceDetail[];
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  // Runtimes usable here: its own and its ancestors'.
  const runtimes = useQuery({
    queryKey: keys.runtimes.list(w.id),
    queryFn: () => api.listRuntimes(w.id),
  });
  const [draft, setDraft] = useState({
    name: w.name,
    description: w.description,
    parentId: w.parentId ?? '',
    defaultRuntimeId: w.defaultRuntimeId ?? '',
    retention: w.sessionRetentionDays?.toString() ?? '',
  });
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [saved, setSaved] = useState(false);
  const editable = can(w, 'workspace.update');
  const set = (k: keyof typeof draft) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [k]: e.target.value });

  const act = async (call: () => Promise<unknown>) => {
    setError(null);
    setSaved(false);
    try {
      await call();
      setSaved(true);
      await queryClient.invalidateQueries({ queryKey: keys.workspaces.all });
    } catch (err) {
      setError(toErrorInfo(err));
    }
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    const body: UpdateWorkspaceRequest = {
      name: draft.name,
      description: draft.description,
      defaultRuntimeId: draft.defaultRuntimeId || null,
      sessionRetentionDays: draft.retention === '' ? null : Number(draft.retention),
    };
    if ((draft.parentId || null) !== w.parentId) body.parentId = draft.parentId || null;
    void act(() => api.updateWorkspace(w.id, body));
  };
  const remove = () => {
    if (
      !window.confirm(
        `Delete "${w.name}" with its notebooks and runtimes? The audit log keeps its history.`,
      )
    )
      return;
    void act(async () => {
      await api.deleteWorkspace(w.id);
      onClose();
    });
  };

  return (
    <section
      className="pair-panel"
      aria-labelledby="workspace-settings-heading"
      data-testid="workspace-settings-panel"
    >
      <h2 id="workspace-settings-heading">Settings of {w.name}</h2>
      {w.archivedAt && (
        <p className="notice" role="status">
          Archived: notebooks here can be read, not changed or run.
        </p>
      )}
      <form className="pair-form" onSubmit={save} noValidate>
        <label>
          Name
          <input
            data-testid="settings-name"
            disabled={!editable}
            maxLength={200}
            value={draft.name}
            onChange={set('name')}
          />
        </label>
        <label>
          Description
          <input
            data-testid="settings-description"
            disabled={!editable}
            maxLength={2000}
            value={draft.description}
            onChange={set('description')}
          />
        </label>
        <label>
          Inside
          <select
            data-testid="settings-parent"
            disabled={!editable}
            value={draft.parentId}
            onChange={set('parentId')}
          >
            <option value="">(top level)</option>
            {possibleParents(all, w.id).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Default runtime
          <select
            data-testid="settings-runtime"
            disabled={!editable}
            value={draft.defaultRuntimeId}
            onChange={set('defaultRuntimeId')}
          >
            <option value="">(none)</option>
            {(runtimes.data ?? []).map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Keep idle sessions (days)
          <input
            data-testid="settings-retention"
            type="number"
            min={1}
            max={3650}
            placeholder="server default"
            disabled={!editable}
            value={draft.retention}
            onChange={set('retention')}
          />
        </label>
        <div className="pair-actions">
          {editable && (
            <button type="submit" className="btn btn-primary" data-testid="settings-save">
              Save
            </button>
          )}{' '}
          {can(w, 'workspace.archive') && (
            <button
              type="button"
              className="btn"
              data-testid="settings-archive"
              onClick={() => void act(() => api.archiveWorkspace(w.id, !w.archivedAt))}
            >
              {w.archivedAt ? 'Unarchive' : 'Archive'}
            </button>
          )}{' '}
          {can(w, 'workspace.delete') && (
            <button type="button" className="btn" data-testid="settings-delete" onClick={remove}>
              Delete
            </button>
          )}{' '}
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      {saved && !error && (
        <p className="muted" role="status" data-testid="settings-saved">
          Saved.
        </p>
      )}
      {error && <ErrorBox error={error} testId="settings-error" />}
    </section>
  );
}
