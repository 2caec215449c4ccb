import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, isUnauthenticated, toErrorInfo, type ErrorInfo } from '../app/api';
import { linkClick, navigate, notebookPath } from '../app/routing';
import { emptyCell } from '../notebook/notebookModel';
import { ImportIpynbButton } from './ImportIpynbButton';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { keys } from '../app/queryKeys';
import {
  filterSearch,
  readFilter,
  useDebounced,
  useNotebookSearch,
  type NotebookFilter,
} from './useNotebookSearch';

function formatUpdated(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** `/`: the notebooks the user can see, newest first: search, filter by tag and workspace. */
export function NotebookList() {
  useDocumentTitle('Notebooks');
  const queryClient = useQueryClient();
  const workspaces = useQuery({
    queryKey: keys.workspaces.list(),
    queryFn: () => api.listWorkspaces(),
  });
  const [filter, setFilterState] = useState<NotebookFilter>(() =>
    readFilter(window.location.search),
  );
  const setFilter = (next: NotebookFilter) => {
    setFilterState(next);
    window.history.replaceState(null, '', `/${filterSearch(next)}`);
  };
  const settled = useDebounced(filter, 200);
  const notebooks = useNotebookSearch(workspaces.data, { ...filter, q: settled.q });
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<ErrorInfo | null>(null);

  const create = async () => {
    setCreating(true);
    setCreateError(null);
    try {
      const { id, type, source } = emptyCell('python');
      const nb = await api.createNotebook({
        title: 'Untitled notebook',
        ...(filter.workspaceId ? { workspaceId: filter.workspaceId } : {}),
        cells: [{ id, type, source }],
      });
      void queryClient.invalidateQueries({ queryKey: keys.notebooks.all });
      navigate(notebookPath(nb.id));
    } catch (err) {
      setCreateError(toErrorInfo(err));
      setCreating(false);
    }
  };

  const wsName = new Map((workspaces.data ?? []).map((w) => [w.id, w.name]));
  const several = wsName.size > 1;
  const filtered = filter.q.trim() !== '' || filter.tag !== '' || filter.workspaceId !== '';
  const list = notebooks.data?.items ?? null;
  const error = notebooks.error ?? workspaces.error;

  return (
    <main className="page">
      <div className="list-header">
        <h1>Notebooks</h1>
        <ImportIpynbButton onError={setCreateError} />
        <button
          type="button"
          className="btn btn-primary"
          data-testid="new-notebook"
          onClick={() => void create()}
          disabled={creating}
        >
          {creating ? 'Creating…' : '+ New notebook'}
        </button>
      </div>
      <div className="notebook-filters" role="search">
        <input
          type="search"
          className="notebook-search"
          data-testid="notebook-search"
          aria-label="Search notebooks by title or content"
          placeholder="Search titles and cells…"
          value={filter.q}
          maxLength={200}
          onChange={(e) => setFilter({ ...filter, q: e.target.value })}
        />
        {several && (
          <label>
            Workspace{' '}
            <select
              data-testid="notebook-workspace-filter"
              value={filter.workspaceId}
              onChange={(e) => setFilter({ ...filter, workspaceId: e.target.value })}
            >
              <option value="">All workspaces</option>
              {(workspaces.data ?? []).map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {filter.tag && (
          <button
            type="button"
            className="tag tag-selected"
            data-testid="notebook-tag-filter"
            aria-label={`Tag ${filter.tag}: show every tag`}
            onClick={() => setFilter({ ...filter, tag: '' })}
          >
            #{filter.tag} <span aria-hidden="true">×</span>
          </button>
        )}
        {list && filtered && (
          <span className="muted" data-testid="notebook-count" aria-live="polite">
            {countText(list.length, notebooks.data!.total)}
          </span>
        )}
      </div>
      {createError && (
        <div className="error-box" role="alert">
          <code>{createError.code}</code> {createError.message}
        </div>
      )}
      {notebooks.isPending && !error && <p className="muted">Loading…</p>}
      {error && !isUnauthenticated(error) && (
        <div className="error-box" role="alert">
          <code>{toErrorInfo(error).code}</code> {toErrorInfo(error).message}
        </div>
      )}
      {list && list.length === 0 && !filtered && (
        <p className="muted empty">No notebooks yet. Create one to start investigating.</p>
      )}
      {list && list.length === 0 && filtered && (
        <p className="muted empty" data-testid="notebook-no-match">
          No notebook matches{filter.q.trim() ? ` “${filter.q.trim()}”` : ''}
          {filter.tag ? ` with the tag #${filter.tag}` : ''}.
        </p>
      )}
      {list && list.length > 0 && (
        <ul className="notebook-list" aria-busy={notebooks.isPlaceholderData}>
          {list.map((nb) => (
            <li key={nb.id} className="notebook-row">
              <a
                href={notebookPath(nb.id)}
                onClick={linkClick(notebookPath(nb.id))}
                data-testid="notebook-link"
                className="notebook-link"
              >
                <span className="notebook-link-title">{nb.title}</span>
                {several && (
                  <span className="notebook-link-workspace muted">
                    {wsName.get(nb.workspaceId)}
                  </span>
                )}
                <time className="notebook-link-updated muted" dateTime={nb.updatedAt}>
                  {formatUpdated(nb.updatedAt)}
                </time>
              </a>
              {nb.tags.length > 0 && (
                <span className="notebook-tags" data-testid="notebook-tags">
                  {nb.tags.map((t) => (
                    <button
                      key={t}
                      type="button"
                      className={`tag${t === filter.tag ? ' tag-selected' : ''}`}
                      aria-label={`Show notebooks tagged ${t}`}
                      onClick={() => setFilter({ ...filter, tag: t })}
                    >
                      #{t}
                    </button>
                  ))}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}

function countText(shown: number, total: number): string {
  const n = (k: number) => `${k} notebook${k === 1 ? '' : 's'}`;
  return shown < total ? `${n(shown)} shown of ${total}` : n(shown);
}
