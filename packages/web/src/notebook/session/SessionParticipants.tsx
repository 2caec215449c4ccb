import type { ParticipantView } from './sessionView';

function describe(p: ParticipantView): string {
  const role = p.isOwner ? ' — owner' : '';
  const me = p.isMe ? ' (you)' : '';
  const seen = p.lastAttachedAt
    ? p.active
      ? ' · attached'
      : ` · last attached ${new Date(p.lastAttachedAt).toLocaleString()}`
    : ' · not attached yet';
  return `${p.name}${me}${role}${seen}`;
}

/** Who is in the session: an avatar with initials per person, the owner marked. */
export function SessionParticipants({ people }: { people: ParticipantView[] }) {
  return (
    <ul className="session-people" aria-label="People in this session">
      {people.map((p) => (
        <li
          key={p.userId}
          className={`session-avatar${p.isOwner ? ' owner' : ''}${p.active ? '' : ' away'}`}
          data-testid="session-participant"
          data-user-id={p.userId}
          data-name={p.name}
          data-owner={p.isOwner ? 'true' : 'false'}
          title={describe(p)}
        >
          <span aria-hidden="true">{p.initials}</span>
          {p.isOwner && (
            <span className="session-owner-mark" aria-hidden="true">
              ★
            </span>
          )}
          <span className="sr-only">{describe(p)}</span>
        </li>
      ))}
    </ul>
  );
}
