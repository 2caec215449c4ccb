import { useQuery } from '@tanstack/react-query';
import { api } from '../../app/api';
import { useActiveSession } from './activeSession';
import { keys } from '../../app/queryKeys';
import { rightsOf, type SessionRights } from './sessionView';

/**
 * What the signed-in user may do in the page's session (from the server's `allowedActions`),
 * or null while it is not known. Shares the session panel's queries, so it costs no request.
 */
export function useSessionRights(): SessionRights | null {
  const session = useActiveSession();
  const sid = session?.sid ?? null;
  const me = useQuery({ queryKey: keys.auth.me(), queryFn: () => api.me(), staleTime: 60_000 });
  const record = useQuery({
    queryKey: keys.session.record(sid ?? ''),
    queryFn: () => api.sessionRecord(sid!),
    enabled: sid !== null,
  });
  if (!record.data || !me.data) return null;
  return rightsOf(record.data, me.data.user.id);
}
