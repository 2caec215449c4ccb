import { ACCESS_TOKEN_TTL_S, type SessionRecord } from '@spin/protocol';

/** One person in the session panel's row of avatars. */
export interface ParticipantView {
  userId: string;
  name: string;
  initials: string;
  isOwner: boolean;
  isMe: boolean;
  /** May be handed the session (can run cells here); unknown counts as yes. */
  mayOwn: boolean;
  /** Attached (took a token) within one token lifetime: still watching. */
  active: boolean;
  lastAttachedAt: string | null;
}

/** "Ada Admin" → "AA", "grace" → "GR", "" → "?". */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  if (words.length === 1) return words[0]!.slice(0, 2).toUpperCase();
  return (words[0]![0]! + words[words.length - 1]![0]!).toUpperCase();
}

/**
 * The owner first, then the others by who attached last. The owner is listed even if they never
 * attached (a session handed to someone who has not opened it yet). A participant counts as
 * active while the last token they took is still valid: clients refresh it before it expires.
 */
export function participantsOf(
  record: SessionRecord,
  me: string | null,
  now: number = Date.now(),
): ParticipantView[] {
  const ttlMs = ACCESS_TOKEN_TTL_S * 1000;
  const views: ParticipantView[] = record.participants.map((p) => ({
    userId: p.userId,
    name: p.name,
    initials: initialsOf(p.name),
    isOwner: p.userId === record.ownerId,
    isMe: p.userId === me,
    mayOwn: p.mayOwn !== false,
    active: now - Date.parse(p.lastAttachedAt) <= ttlMs,
    lastAttachedAt: p.lastAttachedAt,
  }));
  if (!views.some((v) => v.isOwner)) {
    views.push({
      userId: record.ownerId,
      name: record.owner.name,
      initials: initialsOf(record.owner.name),
      isOwner: true,
      isMe: record.ownerId === me,
      mayOwn: true,
      active: false,
      lastAttachedAt: null,
    });
  }
  return views.sort(
    (a, b) =>
      Number(b.isOwner) - Number(a.isOwner) ||
      (b.lastAttachedAt ?? '').localeCompare(a.lastAttachedAt ?? ''),
  );
}

/** What the signed-in user may do here, from the record's `allowedActions`. */
export interface SessionRights {
  run: boolean;
  interrupt: boolean;
  handOff: boolean;
  /** May ask the owner for the session (answering requests goes with `handOff`). */
  requestOwnership: boolean;
  isOwner: boolean;
}

/** Rights from the record (a server that sends no list: owner rights for the owner only). */
export function rightsOf(record: SessionRecord, me: string | null): SessionRights {
  const isOwner = me !== null && record.ownerId === me;
  const allowed = record.allowedActions;
  if (!allowed) {
    return { run: true, interrupt: isOwner, handOff: isOwner, requestOwnership: false, isOwner };
  }
  return {
    run: allowed.includes('session.run'),
    interrupt: allowed.includes('session.interrupt'),
    handOff: allowed.includes('session.handoff'),
    requestOwnership: allowed.includes('session.request_ownership'),
    isOwner,
  };
}

/** "1.2 s", "850 ms", "3 min 4 s"; an em dash for a run still going. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  return `${min} min ${Math.round((ms % 60_000) / 1000)} s`;
}
