import type { SessionTimeline as Timeline } from '@spin/protocol';
import { formatDuration } from './sessionView';

const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : '—');

/** Every run of the session, newest first: who, when, status, duration, runtime. */
export function SessionTimeline({
  timeline,
  cellLabel,
}: {
  timeline: Timeline;
  /** How to name a cell (its position in the notebook), by id. */
  cellLabel: (cellId: string) => string;
}) {
  const runs = [...timeline.runs].reverse();
  if (runs.length === 0) {
    return (
      <p className="muted session-timeline-empty" data-testid="session-timeline-empty">
        No runs in this session yet.
      </p>
    );
  }
  return (
    <div className="session-timeline-scroll">
      <table className="session-timeline" data-testid="session-timeline">
        <caption className="sr-only">Runs of this session, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Cell</th>
            <th scope="col">Who</th>
            <th scope="col">When</th>
            <th scope="col">Status</th>
            <th scope="col">Duration</th>
            <th scope="col">Runtime</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr
              key={r.jti}
              data-testid="session-run"
              data-cell-id={r.cell}
              data-status={r.status}
              data-user={r.user.name ?? r.user.id}
            >
              <td>
                {cellLabel(r.cell)}
                {r.processor && <span className="muted"> · {r.processor}</span>}
              </td>
              <td>{r.user.name ?? r.user.id}</td>
              <td title={r.issuedAt}>{time(r.startedAt ?? r.issuedAt)}</td>
              <td>
                <span className={`run-status run-status-${r.status}`}>{r.status}</span>
              </td>
              <td>{formatDuration(r.durationMs)}</td>
              <td>{r.runtime.name ?? r.runtime.id}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
