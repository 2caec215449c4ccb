/**
 * TanStack Query keys of the session panel, from one factory so every invalidation names the
 * same keys. Kept beside the panel until the app-wide key factory lands (issue 11 "Shape").
 */
export const sessionKeys = {
  all: ['session'] as const,
  /** The session record (owner, participants, allowed actions). */
  record: (sid: string) => [...sessionKeys.all, sid, 'record'] as const,
  /** The session's runs (who, when, status, duration, runtime). */
  timeline: (sid: string) => [...sessionKeys.all, sid, 'timeline'] as const,
  /** The signed-in user (to tell "you" apart in the participant list). */
  me: () => ['auth', 'me'] as const,
};
