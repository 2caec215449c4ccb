import { useContext } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../app/api';
import { CompletionHostContext } from './completionHost';

/**
 * The names of the notebook workspace's connections for `processor`, as a `<datalist>` the
 * cell's connection field completes from (the input stays free text: a runtime may define
 * connections of its own). Names only; a role that may not list connections gets none.
 */
export function ConnectionChoices({ id, processor }: { id: string; processor: string }) {
  const host = useContext(CompletionHostContext);
  const workspaceId = host?.workspaceId ?? null;
  const connections = useQuery({
    queryKey: ['connections', workspaceId, processor],
    queryFn: () => api.listConnections(workspaceId!, processor),
    enabled: workspaceId !== null,
    retry: false,
    staleTime: 60_000,
  });
  return (
    <datalist id={id} data-testid="cell-connection-choices">
      {connections.data?.map((c) => (
        <option key={c.id} value={c.name} />
      ))}
    </datalist>
  );
}
