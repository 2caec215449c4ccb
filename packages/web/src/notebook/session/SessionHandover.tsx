import { useState } from 'react';
import type { ParticipantView } from './sessionView';

/**
 * Hand the session to another participant (the owner), or take it over (a workspace owner who
 * is not the session's owner: a handoff to themselves). Only drawn when the record allows
 * `session.handoff`.
 */
export function SessionHandover({
  people,
  isOwner,
  me,
  pending,
  onHandOver,
}: {
  people: ParticipantView[];
  isOwner: boolean;
  me: string | null;
  pending: boolean;
  onHandOver: (to: string) => void;
}) {
  // viewers cannot be handed a session (the server refuses them): not offered
  const others = people.filter((p) => !p.isMe && !p.isOwner && p.mayOwn);
  const [choice, setChoice] = useState('');
  const target = others.some((p) => p.userId === choice) ? choice : (others[0]?.userId ?? '');

  if (!isOwner) {
    return (
      <button
        type="button"
        className="btn"
        data-testid="session-take-over"
        disabled={pending || me === null}
        title="Make yourself the owner of this session (you may, as a workspace owner)"
        onClick={() => me && onHandOver(me)}
      >
        Take over
      </button>
    );
  }
  if (others.length === 0) {
    return (
      <span className="muted" data-testid="session-handoff-none">
        No one else who may run cells has joined this session yet.
      </span>
    );
  }
  return (
    <span className="session-handover">
      <label>
        <span className="sr-only">Hand the session to</span>
        <select
          data-testid="session-handoff-target"
          value={target}
          onChange={(e) => setChoice(e.target.value)}
        >
          {others.map((p) => (
            <option key={p.userId} value={p.userId}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        className="btn"
        data-testid="session-handoff"
        disabled={pending || !target}
        onClick={() => onHandOver(target)}
      >
        {pending ? 'Handing over…' : 'Hand over'}
      </button>
    </span>
  );
}
