import { useQuery } from '@tanstack/react-query';
import { api, isUnauthenticated, toErrorInfo } from '../app/api';
import { linkClick } from '../app/routing';
import { NotebookEditor } from './NotebookEditor';
import { SessionPanel } from './session/SessionPanel';
import { cellLabeller } from './session/cellLabel';
import { keys } from '../app/queryKeys';

/**
 * The notebook as loaded from the server. The editor owns the document once it is open (it
 * autosaves), so the copy is never refetched behind its back, and it leaves the cache with the
 * page: opening the notebook again loads what was saved since.
 */
function useNotebook(id: string) {
  return useQuery({
    queryKey: keys.notebooks.detail(id),
    queryFn: () => api.getNotebook(id),
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
}

/** `/notebooks/:id`: loads the notebook, then hands it to the editor. */
export function NotebookPage({ id }: { id: string }) {
  const loaded = useNotebook(id);
  // an expired session goes back to sign-in through the app's one 401 handler
  const state = {
    notebook: loaded.data ?? null,
    error: loaded.error && !isUnauthenticated(loaded.error) ? toErrorInfo(loaded.error) : null,
  };

  // Only the runtimes a notebook of this workspace may run on.
  const workspaceId = state.notebook?.workspaceId;
  const runtimes = useQuery({
    queryKey: keys.runtimes.list(workspaceId),
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
