import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { WorkspaceDetail } from '@spin/protocol';
import { api } from '../app/api';
import { keys } from '../app/queryKeys';

/**
 * The workspaces the caller reaches and the one a page shows (the first until another is
 * chosen).
 */
export function useWorkspaceChoice() {
  const workspaces = useQuery({
    queryKey: keys.workspaces.list(),
    queryFn: () => api.listWorkspaces(),
  });
  const [chosen, setChosen] = useState<string | null>(null);
  const list = workspaces.data ?? [];
  const current = list.find((w) => w.id === chosen) ?? list[0] ?? null;
  return { workspaces, list, current, choose: setChosen };
}

/** A labelled workspace select. */
export function WorkspacePicker({
  list,
  current,
  onChoose,
  testId,
}: {
  list: readonly WorkspaceDetail[];
  current: WorkspaceDetail | null;
  onChoose: (id: string) => void;
  testId: string;
}) {
  if (list.length === 0) return null;
  return (
    <label className="workspace-picker">
      Workspace{' '}
      <select
        data-testid={testId}
        value={current?.id ?? ''}
        onChange={(e) => onChoose(e.target.value)}
      >
        {list.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </select>
      {current && (
        <span className="muted" data-testid="my-role">
          {' '}
          {current.role}
        </span>
      )}
    </label>
  );
}

/** Whether the caller may do `action` in `ws` (the server's `allowedActions`). */
export function allows(ws: WorkspaceDetail | null | undefined, action: string): boolean {
  return ws?.allowedActions.includes(action) ?? false;
}
