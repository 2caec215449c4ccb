import { useState, type ReactElement } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { Runtime, WorkspaceDetail } from '@spin/protocol';
import { api } from '../app/api';
import { keys } from '../app/queryKeys';

type TestTarget =
  | {
      ready: true;
      notebookId: string;
      runtime: Runtime;
      note: null;
      choices: ReactElement;
    }
  | { ready: false; note: string | null; choices: null };

/**
 * Where a Test runs: a session needs a notebook of the workspace and a runtime it may use
 * (the workspace's default runtime, else the first). Both can be changed.
 */
export function useTestTarget(workspace: WorkspaceDetail, enabled: boolean): TestTarget {
  const notebooks = useQuery({
    queryKey: keys.notebooks.list(workspace.id),
    queryFn: () => api.listNotebooks(workspace.id),
    enabled,
  });
  const runtimes = useQuery({
    queryKey: keys.runtimes.list(workspace.id),
    queryFn: () => api.listRuntimes(workspace.id),
    enabled,
  });
  const [notebookId, setNotebookId] = useState<string | null>(null);
  const [runtimeId, setRuntimeId] = useState<string | null>(null);
  if (!enabled || !notebooks.data || !runtimes.data)
    return { ready: false, note: null, choices: null };
  const nbs = notebooks.data.filter((n) => n.workspaceId === workspace.id);
  const notebook = nbs.find((n) => n.id === notebookId) ?? nbs[0];
  const runtime =
    runtimes.data.find((r) => r.id === runtimeId) ??
    runtimes.data.find((r) => r.id === workspace.defaultRuntimeId) ??
    runtimes.data[0];
  if (!notebook) {
    return {
      ready: false,
      note: 'A test runs in a notebook session: create a notebook in this workspace to test connections.',
      choices: null,
    };
  }
  if (!runtime) {
    return {
      ready: false,
      note: 'No runtime is available to this workspace: pair one to test connections.',
      choices: null,
    };
  }
  return {
    ready: true,
    notebookId: notebook.id,
    runtime,
    note: null,
    choices: (
      <p className="muted test-target">
        Tests run on{' '}
        <select
          aria-label="Runtime"
          data-testid="connection-test-runtime"
          value={runtime.id}
          onChange={(e) => setRuntimeId(e.target.value)}
        >
          {runtimes.data.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>{' '}
        in a session of{' '}
        <select
          aria-label="Notebook"
          data-testid="connection-test-notebook"
          value={notebook.id}
          onChange={(e) => setNotebookId(e.target.value)}
        >
          {nbs.map((n) => (
            <option key={n.id} value={n.id}>
              {n.title}
            </option>
          ))}
        </select>
      </p>
    ),
  };
}
