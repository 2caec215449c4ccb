import type { AuditFilterQuery } from '@spin/protocol';

/** The audit page's filter inputs as typed (times from `datetime-local` inputs, local time). */
export interface AuditFilterForm {
  workspaceId: string;
  actor: string;
  action: string;
  from: string;
  to: string;
}

export const EMPTY_FILTER: AuditFilterForm = {
  workspaceId: '',
  actor: '',
  action: '',
  from: '',
  to: '',
};

/** A `datetime-local` value (local time) as an ISO time, or undefined when empty or invalid. */
export function localTimeToIso(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** The audit API's filter from the form: blank fields left out, text trimmed. */
export function toAuditQuery(f: AuditFilterForm): AuditFilterQuery {
  const q: AuditFilterQuery = {};
  if (f.workspaceId) q.workspaceId = f.workspaceId;
  if (f.actor.trim()) q.actor = f.actor.trim();
  if (f.action.trim()) q.action = f.action.trim();
  const from = localTimeToIso(f.from);
  const to = localTimeToIso(f.to);
  if (from) q.from = from;
  if (to) q.to = to;
  return q;
}
