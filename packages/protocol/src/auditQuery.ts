import { z } from 'zod';
import { ResourceIdSchema } from './strings.js';

/** An ISO 8601 time with an offset, normalised to `Date.toISOString()` (the form stored). */
const IsoTimeSchema = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

/**
 * Filters of `GET /api/v1/audit` and `GET /api/v1/audit/export` (issue 7): they narrow what the
 * caller may read anyway (org admins: everything; workspace owners: their workspaces' entries).
 */
export const AuditFilterQuerySchema = z.object({
  workspaceId: ResourceIdSchema.optional(),
  /** `usr_…` for a user, `system` for the server itself. */
  actor: z.string().min(1).max(200).optional(),
  /** Exact action name, e.g. `auth.login_failed`. */
  action: z.string().min(1).max(100).optional(),
  /** Entries at or after this time. */
  from: IsoTimeSchema.optional(),
  /** Entries before this time. */
  to: IsoTimeSchema.optional(),
});
export type AuditFilterQuery = z.infer<typeof AuditFilterQuerySchema>;

/** Media type of the audit export: one JSON entry per line (https://github.com/ndjson). */
export const NDJSON_MEDIA_TYPE = 'application/x-ndjson';
