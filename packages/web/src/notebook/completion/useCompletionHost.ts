import { useMemo, useRef } from 'react';
import { useQuery } from '@tanstack/react-query';
import { cellTypeInfo, defaultResultVar, type Cell, type TemplateVariable } from '@spin/protocol';
import { api } from '../../app/api';
import type { SessionHandle, SessionUiState } from '../useNotebookSession';
import type { CompletionHost } from './completionHost';

/**
 * The notebook page's {@link CompletionHost}: the session when it is open, the notebook's
 * template variables, its integration cells' result variables and the workspace's secret names
 * (the list API returns names and whether a value is set, never values; a role that may not
 * list secrets just gets none). Stable for the page's lifetime; it reads the latest values.
 */
export function useCompletionHost(opts: {
  session: SessionHandle;
  phase: SessionUiState['phase'];
  variables: readonly TemplateVariable[];
  cellsRef: { readonly current: readonly Cell[] };
  workspaceId: string;
  enabled: boolean;
}): CompletionHost | null {
  const secrets = useQuery({
    queryKey: ['secrets', opts.workspaceId],
    queryFn: () => api.listSecrets(opts.workspaceId),
    enabled: opts.enabled,
    retry: false,
    staleTime: 60_000,
  });
  const latest = useRef({ ...opts, secretNames: [] as string[] });
  latest.current = { ...opts, secretNames: secrets.data?.map((s) => s.name) ?? [] };
  const host = useMemo<CompletionHost>(
    () => ({
      session: () => {
        const { phase, session } = latest.current;
        return phase === 'open' ? session.ready() : Promise.resolve(null);
      },
      templateNames: () => {
        const { variables, cellsRef, secretNames } = latest.current;
        return {
          variables,
          results: cellsRef.current.flatMap((c) =>
            cellTypeInfo(c.type)?.kind === 'processor'
              ? [c.resultVar ?? defaultResultVar(c.id)]
              : [],
          ),
          secrets: secretNames,
        };
      },
      workspaceId: opts.workspaceId,
    }),
    [opts.workspaceId],
  );
  return opts.enabled ? host : null;
}
