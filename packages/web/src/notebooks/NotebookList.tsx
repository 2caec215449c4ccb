import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, isUnauthenticated, toErrorInfo, type ErrorInfo } from '../app/api';
import { linkClick, navigate, notebookPath } from '../app/routing';
import { emptyCell } from '../notebook/notebookModel';
import { ImportIpynbButton } from './ImportIpynbButton';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { keys } from '../app/queryKeys';

function formatUpdated(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** `/`: the notebooks the user can see, newest first, and a button to start one. */
export function NotebookList() {
  useDocumentTitle('Notebooks');
  const queryClient = useQueryClient();
  const notebooks = useQuery({
    queryKey: keys.notebooks.list(),
    queryFn: () => api.listNotebooks(),
  });
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<ErrorInfo | null>(null);

  const create = async () => {
    setCreating(true);
    setCreateError(null);
    try {
      const { id, type, source } = emptyCell('python');
      const nb = await api.createNotebook({
        title: 'Untitled notebook',
        cells: [{ id, type, source }],
      });
      void queryClient.invalidateQueries({ queryKey: keys.notebooks.all });
      navigate(notebookPath(nb.id));
    } catch (err) {
      setCreateError(toErrorInfo(err));
      setCreating(false);
    }
  };

  const list = notebooks.data
    ? [...notebooks.data].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
    : null;

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
      {createError && (
        <div className="error-box" role="alert">
          <code>{createError.code}</code> {createError.message}
        </div>
      )}
      {notebooks.isPending && <p className="muted">Loading…</p>}
      {notebooks.error && !isUnauthenticated(notebooks.error) && (
        <div className="error-box" role="alert">
          <code>{toErrorInfo(notebooks.error).code}</code> {toErrorInfo(notebooks.error).message}
        </div>
      )}
      {list && list.length === 0 && (
        <p className="muted empty">No notebooks yet. Create one to start investigating.</p>
      )}
      {list && list.length > 0 && (
        <ul className="notebook-list">
          {list.map((nb) => (
            <li key={nb.id}>
              <a
                href={notebookPath(nb.id)}
                onClick={linkClick(notebookPath(nb.id))}
                data-testid="notebook-link"
                className="notebook-link"
              >
                <span className="notebook-link-title">{nb.title}</span>
                <time className="notebook-link-updated muted" dateTime={nb.updatedAt}>
                  {formatUpdated(nb.updatedAt)}
                </time>
              </a>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
