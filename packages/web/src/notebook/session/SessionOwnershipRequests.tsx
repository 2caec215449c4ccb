import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { NotebookSession } from '@spin/client';
import {
  OWNERSHIP_REQUEST_TTL_MS,
  type OwnershipRequest,
  type SessionRecord,
} from '@spin/protocol';
import { api, toErrorInfo } from '../../app/api';
import { keys } from '../../app/queryKeys';
import type { SessionRights } from './sessionView';

/** What became of the caller's last request, while it is recent enough to be news. */
function outcomeText(req: OwnershipRequest, ownerName: string, now: number): string | null {
  const at = Date.parse(req.resolvedAt ?? req.expiresAt);
  if (now - at > OWNERSHIP_REQUEST_TTL_MS) return null;
  if (req.status === 'declined') {
    return `${req.resolvedByName ?? ownerName} declined your request for the session.`;
  }
  if (req.status === 'expired') return 'Your request for the session expired unanswered.';
  if (req.status === 'superseded') {
    return 'The session changed hands before your request was answered.';
  }
  return null;
}

/**
 * Requests for the session's ownership (issue 11): the owner (anyone allowed to hand the session
 * off) sees each pending request with Accept and Decline; anyone else who may run cells asks, then
 * sees "Requested…" and the answer. The record is re-read by the panel's polling, faster while a
 * request waits, so both sides see the other's step within seconds.
 */
export function SessionOwnershipRequests({
  record,
  rights,
  session,
}: {
  record: SessionRecord;
  rights: SessionRights;
  session: NotebookSession;
}) {
  const queryClient = useQueryClient();
  const sid = record.sid;
  const onRecord = (next: SessionRecord) =>
    queryClient.setQueryData(keys.session.record(sid), next);
  const ask = useMutation({ mutationFn: () => api.requestOwnership(sid), onSuccess: onRecord });
  const answer = useMutation({
    mutationFn: (a: { id: string; verb: 'accept' | 'decline' }) =>
      api.answerOwnershipRequest(sid, a.id, a.verb),
    onSuccess: async (next, a) => {
      onRecord(next);
      // accepted: our socket learns the new epoch now, so the runtime moves owner rights at once
      if (a.verb === 'accept') await session.socket.refreshToken();
    },
  });
  const error = ask.error ?? answer.error;
  const requests = rights.handOff ? (record.ownershipRequests ?? []) : [];
  const mine = record.myOwnershipRequest ?? null;
  const waiting = mine?.status === 'pending';
  const outcome = mine && !waiting ? outcomeText(mine, record.owner.name, Date.now()) : null;

  return (
    <>
      {requests.length > 0 && (
        <ul className="session-requests" aria-label="Requests for this session">
          {requests.map((r) => (
            <li key={r.id} data-testid="session-request" data-requester-id={r.requesterId}>
              <span>
                <strong>{r.requesterName}</strong> asks for the session.
              </span>
              <button
                type="button"
                className="btn"
                data-testid="session-request-accept"
                aria-label={`Accept ${r.requesterName}'s request: hand them the session`}
                disabled={answer.isPending}
                onClick={() => answer.mutate({ id: r.id, verb: 'accept' })}
              >
                Accept
              </button>
              <button
                type="button"
                className="btn btn-link"
                data-testid="session-request-decline"
                aria-label={`Decline ${r.requesterName}'s request for the session`}
                disabled={answer.isPending}
                onClick={() => answer.mutate({ id: r.id, verb: 'decline' })}
              >
                Decline
              </button>
            </li>
          ))}
        </ul>
      )}
      {rights.requestOwnership && !rights.isOwner && (
        <span className="session-request-own">
          {waiting ? (
            <span role="status" className="muted" data-testid="session-request-pending">
              Requested… waiting for {record.owner.name} to answer.
            </span>
          ) : (
            <button
              type="button"
              className="btn"
              data-testid="session-request-ownership"
              disabled={ask.isPending}
              title={`Ask ${record.owner.name} to hand you the session`}
              onClick={() => ask.mutate()}
            >
              {ask.isPending ? 'Requesting…' : 'Request ownership'}
            </button>
          )}
          {outcome && (
            <span role="status" className="muted" data-testid="session-request-outcome">
              {outcome}
            </span>
          )}
        </span>
      )}
      {error && (
        <span className="error-box" role="alert" data-testid="session-request-error">
          {toErrorInfo(error).code}: {toErrorInfo(error).message}
        </span>
      )}
    </>
  );
}
