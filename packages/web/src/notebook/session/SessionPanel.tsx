import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { NotebookSession } from '@spin/client';
import type { SessionRecord } from '@spin/protocol';
import { api, toErrorInfo } from '../../app/api';
import { useActiveSession } from './activeSession';
import { SessionHandover } from './SessionHandover';
import { SessionOwnershipRequests } from './SessionOwnershipRequests';
import { SessionParticipants } from './SessionParticipants';
import { SessionTimeline } from './SessionTimeline';
import { keys } from '../../app/queryKeys';
import { participantsOf, rightsOf, type SessionRights } from './sessionView';

/** How often the record is re-read: others attaching send us no event. */
const RECORD_REFRESH_MS = 5000;
/** …and while a request for ownership waits for its answer (either side is watching). */
const REQUEST_REFRESH_MS = 1500;
/** How often the timeline is re-read while a run still awaits its receipt. */
const PENDING_REFRESH_MS = 2000;

/**
 * Keep the panel's queries in step with the live session: the owner the runtime announces
 * re-reads the record, a run that starts, ends or is verified re-reads the timeline.
 */
function useSessionEvents(session: NotebookSession | null) {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!session) return;
    const sid = session.sid;
    const seen = new Map<string, string>();
    const subs = [
      session.onDidChangeOwner(
        () => void queryClient.invalidateQueries({ queryKey: keys.session.record(sid) }),
      ),
      session.onDidChangeCell((st) => {
        const phase = `${st.running}|${st.status}|${st.auditSeq !== null}`;
        if (seen.get(st.jti) === phase) return;
        seen.set(st.jti, phase);
        void queryClient.invalidateQueries({ queryKey: keys.session.timeline(sid) });
      }),
    ];
    return () => subs.forEach((s) => s.dispose());
  }, [session, queryClient]);
}

/**
 * The server made us the owner (a handoff) but the runtime still names someone else: hand the
 * runtime a fresh token (it carries `own` at the new epoch), once per epoch.
 */
function useClaimOwnership(
  session: NotebookSession | null,
  record: SessionRecord | undefined,
  me: string | null,
) {
  const claimed = useRef<string | null>(null);
  const runtimeOwner = session?.owner?.owner ?? null;
  useEffect(() => {
    if (!session || !record || !me || record.ownerId !== me || runtimeOwner === me) return;
    const key = `${record.sid}:${record.ownerEpoch}`;
    if (claimed.current === key) return;
    claimed.current = key;
    void session.socket.refreshToken();
  }, [session, record, me, runtimeOwner]);
}

function rightsText(rights: SessionRights, ownerName: string): string {
  if (!rights.run) return 'You are watching: your role lets you see live output, not run cells.';
  if (rights.isOwner) return 'You own this session: you can interrupt, restart and hand it over.';
  const only = `You can run cells; only ${ownerName}, the owner, can interrupt or restart the kernel.`;
  if (rights.handOff) return `${only} As a workspace owner you may take the session over.`;
  return rights.requestOwnership
    ? `${only} Request ownership to ask them for the session.`
    : `${only} Ask them to hand the session over.`;
}

/**
 * The notebook page's session panel (issue 11 "Sessions"): who is attached, who owns the
 * session, handing it over, what you may do here, and the timeline of its runs.
 */
export function SessionPanel({ cellLabel }: { cellLabel: (cellId: string) => string }) {
  const session = useActiveSession();
  const sid = session?.sid ?? null;
  const queryClient = useQueryClient();
  const [showTimeline, setShowTimeline] = useState(false);

  const me = useQuery({ queryKey: keys.auth.me(), queryFn: () => api.me(), staleTime: 60_000 });
  const myId = me.data?.user.id ?? null;
  const record = useQuery({
    queryKey: keys.session.record(sid ?? ''),
    queryFn: () => api.sessionRecord(sid!),
    enabled: sid !== null,
    refetchInterval: (q) =>
      q.state.data?.ownershipRequests?.length ||
      q.state.data?.myOwnershipRequest?.status === 'pending'
        ? REQUEST_REFRESH_MS
        : RECORD_REFRESH_MS,
  });
  const timeline = useQuery({
    queryKey: keys.session.timeline(sid ?? ''),
    queryFn: () => api.sessionTimeline(sid!),
    enabled: sid !== null,
    // A run someone else posts the receipt of sends us no event: look again until none waits.
    refetchInterval: (q) =>
      q.state.data?.runs.some((r) => r.status === 'pending') ? PENDING_REFRESH_MS : false,
  });
  useSessionEvents(session);
  useClaimOwnership(session, record.data, myId);

  const handOver = useMutation({
    mutationFn: (to: string) => api.handOff(sid!, to),
    onSuccess: async (next) => {
      queryClient.setQueryData(keys.session.record(next.sid), next);
      // our socket learns the new epoch now: the runtime moves owner rights at once
      await session?.socket.refreshToken();
    },
  });

  if (!session || !sid) {
    return (
      <section className="session-panel" aria-label="Session" data-testid="session-panel">
        <span className="muted">Not attached to a session yet.</span>
      </section>
    );
  }
  const data = record.data;
  const people = data ? participantsOf(data, myId) : [];
  const rights = data ? rightsOf(data, myId) : null;
  const runs = timeline.data?.runs.length ?? 0;
  return (
    <section
      className="session-panel"
      aria-label="Session"
      data-testid="session-panel"
      data-sid={sid}
      data-owner-id={data?.ownerId ?? ''}
    >
      <div className="session-bar">
        <span className="session-label">Session</span>
        {data && (
          <>
            <SessionParticipants people={people} />
            <span className="session-owner" data-testid="session-owner">
              Owner: <strong>{data.ownerId === myId ? 'you' : data.owner.name}</strong>
            </span>
            {rights?.handOff && (
              <SessionHandover
                people={people}
                isOwner={rights.isOwner}
                me={myId}
                pending={handOver.isPending}
                onHandOver={(to) => handOver.mutate(to)}
              />
            )}
            {rights && <SessionOwnershipRequests record={data} rights={rights} session={session} />}
          </>
        )}
        <button
          type="button"
          className="btn btn-link session-timeline-toggle"
          data-testid="session-timeline-toggle"
          aria-expanded={showTimeline}
          onClick={() => setShowTimeline((v) => !v)}
        >
          Timeline ({runs})
        </button>
      </div>
      {rights && data && (
        <p
          className="session-rights muted"
          data-testid="session-rights"
          data-can-run={String(rights.run)}
          data-can-interrupt={String(rights.interrupt)}
        >
          {rightsText(rights, data.owner.name)}
        </p>
      )}
      {(record.error || handOver.error) && (
        <div className="error-box" role="alert" data-testid="session-panel-error">
          <code>{toErrorInfo(handOver.error ?? record.error).code}</code>{' '}
          {toErrorInfo(handOver.error ?? record.error).message}
        </div>
      )}
      {showTimeline && timeline.data && (
        <SessionTimeline timeline={timeline.data} cellLabel={cellLabel} />
      )}
    </section>
  );
}
