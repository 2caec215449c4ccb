import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { Notebook } from '@spin/protocol';
import { api, isUnauthenticated, toErrorInfo, type ErrorInfo } from '../app/api';
import { linkClick } from '../app/routing';
import { NotebookEditor } from './NotebookEditor';
import { SessionPanel } from './session/SessionPanel';
import { cellLabeller } from './session/cellLabel';

/** `/notebooks/:id`: loads the notebook, then hands it to the editor. */
export function NotebookPage({
  id,
  onUnauthenticated,
}: {
  id: string;
  onUnauthenticated: () => void;
}) {
  const [state, setState] = useState<{ notebook: Notebook | null; error: ErrorInfo | null }>({
    notebook: null,
    error: null,
  });
  useEffect(() => {
    let cancelled = false;
    setState({ notebook: null, error: null });
    api.getNotebook(id).then(
      (notebook) => !cancelled && setState({ notebook, error: null }),
      (err: unknown) => {
        if (cancelled) return;
        if (isUnauthenticated(err)) onUnauthenticated();
        else setState({ notebook: null, error: toErrorInfo(err) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [id, onUnauthenticated]);

  // Only the runtimes a notebook of this workspace may run on.
  const workspaceId = state.notebook?.workspaceId;
  const runtimes = useQuery({
    queryKey: ['runtimes', workspaceId],
    queryFn: () => api.listRuntimes(workspaceId),
    enabled: workspaceId !== undefined,
  });

  if (state.error) {
    return (
      <main className="page">
        <a href="/" onClick={linkClick('/')} className="back-link">
          ← Notebooks
        </a>
        <div className="error-box" role="alert" data-testid="notebook-error">
          {state.error.code === 'notebook.not_found' ? (
            <>
              <strong>This notebook is not available.</strong> It does not exist, or it belongs to a
              workspace you are not a member of. <code>{state.error.code}</code>
            </>
          ) : (
            <>
              <code>{state.error.code}</code> {state.error.message}
            </>
          )}
        </div>
      </main>
    );
  }
  // The notebook's allowedActions decide the controls; the server enforces them either way.
  if (!state.notebook) {
    return (
      <main className="page">
        <p className="muted">Loading notebook…</p>
      </main>
    );
  }
  return (
    <>
      <div className="session-slot">
        <SessionPanel cellLabel={cellLabeller(state.notebook)} />
      </div>
      <NotebookEditor
        key={state.notebook.id}
        initial={state.notebook}
        runtimes={runtimes.data ?? null}
        runtimesError={runtimes.error ? toErrorInfo(runtimes.error) : null}
      />
    </>
  );
}
