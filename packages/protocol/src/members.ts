import { z } from 'zod';
import { EmailSchema, PasswordSchema, SessionInfoSchema, WorkspaceRoleSchema } from './api.js';
import { StorableStringSchema } from './strings.js';

/**
 * Workspace members and invitations by link (issue 7), under `/api/v1`. An invitation is a
 * random token in a link (`<publicUrl>/invite/<token>`); the server keeps only its hash. It is
 * used once, expires, and can be revoked. Tokens travel in request bodies, never in API paths,
 * so they do not end up in access logs.
 */

/** A member of a workspace with their role. */
export const MemberSchema = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: WorkspaceRoleSchema,
  joinedAt: z.string(),
});
export type Member = z.infer<typeof MemberSchema>;

/** `PATCH /workspaces/:id/members/:userId`. */
export const ChangeMemberRoleRequestSchema = z.object({ role: WorkspaceRoleSchema });

/** Longest an invitation may stay valid, and its default (7 days). */
export const MAX_INVITATION_TTL_HOURS = 30 * 24;
export const DEFAULT_INVITATION_TTL_HOURS = 7 * 24;

/** `POST /workspaces/:id/invitations`. */
export const CreateInvitationRequestSchema = z.object({
  role: WorkspaceRoleSchema,
  /** Hours until the link expires (default 7 days, at most 30). */
  expiresInHours: z.number().int().min(1).max(MAX_INVITATION_TTL_HOURS).optional(),
});
export type CreateInvitationRequest = z.infer<typeof CreateInvitationRequestSchema>;

/** A pending invitation as owners see it (never with its token). */
export const InvitationSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  role: WorkspaceRoleSchema,
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type Invitation = z.infer<typeof InvitationSchema>;

/** Answer of creating an invitation: the only time the token (and its link) is shown. */
export const CreatedInvitationSchema = z.object({
  invitation: InvitationSchema,
  token: z.string(),
  url: z.string(),
});
export type CreatedInvitation = z.infer<typeof CreatedInvitationSchema>;

/** An invitation token as sent back by its holder. */
export const InvitationTokenSchema = z.string().min(1).max(256);

/** `POST /invitations/lookup` and `POST /invitations/accept`. */
export const InvitationTokenRequestSchema = z.object({ token: InvitationTokenSchema });

/** What the holder of a valid invitation link may see before accepting. */
export const InvitationPreviewSchema = z.object({
  workspaceId: z.string(),
  workspaceName: z.string(),
  role: WorkspaceRoleSchema,
  invitedBy: z.string().nullable(),
  expiresAt: z.string(),
});
export type InvitationPreview = z.infer<typeof InvitationPreviewSchema>;

/** Answer of accepting: the workspace joined and the role in it. */
export const AcceptedInvitationSchema = z.object({
  workspaceId: z.string(),
  workspaceName: z.string(),
  role: WorkspaceRoleSchema,
});
export type AcceptedInvitation = z.infer<typeof AcceptedInvitationSchema>;

/**
 * `POST /invitations/signup`: create an account through an invitation and accept it at once.
 * Works while open sign-up is closed — the invitation is the permit.
 */
export const InvitationSignupRequestSchema = z.object({
  token: InvitationTokenSchema,
  email: EmailSchema,
  password: PasswordSchema,
  name: StorableStringSchema.trim().min(1).max(200),
});
export type InvitationSignupRequest = z.infer<typeof InvitationSignupRequestSchema>;

/** Answer of an invitation sign-up: the new session and the workspace joined. */
export const InvitationSignupResponseSchema = SessionInfoSchema.extend({
  accepted: AcceptedInvitationSchema,
});
