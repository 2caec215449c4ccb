import { z } from 'zod';
import { CellInputSchema, CellSchema } from './cells.js';
import { NotebookSettingsSchema } from './notebookSettings.js';
import { DEFAULT_TIME_RANGE, TimeRangeSchema } from './timeRange.js';
import { OutputSchema } from './outputs.js';
import { RuntimeIdentitySchema } from './runtimeWs.js';

/**
 * REST API v1 request/response schemas shared by server (validation, OpenAPI) and client.
 * All paths are under `/api/v1`.
 */

// ---- auth -------------------------------------------------------------------------------
export const EmailSchema = z.string().trim().toLowerCase().email().max(320);
export const PasswordSchema = z.string().min(8, 'passwords have at least 8 characters').max(1024);

export const SignupRequestSchema = z.object({
  email: EmailSchema,
  password: PasswordSchema,
  name: z.string().trim().min(1).max(200),
});
export const LoginRequestSchema = z.object({
  email: EmailSchema,
  password: z.string().min(1).max(1024),
});

export const UserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  orgRole: z.enum(['admin', 'member']),
});
export type User = z.infer<typeof UserSchema>;

/** Response of signup, login and `GET /auth/me`. The CSRF token goes in `x-csrf-token`. */
export const SessionInfoSchema = z.object({ user: UserSchema, csrfToken: z.string() });
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

export const AuthStateSchema = z.object({ signupOpen: z.boolean() });

/** Header that carries the CSRF token on state-changing requests. */
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_COOKIE = 'spin_session';

// ---- workspaces & notebooks ---------------------------------------------------------------
export const WorkspaceRoleSchema = z.enum(['owner', 'editor', 'agent', 'viewer']);
export type WorkspaceRole = z.infer<typeof WorkspaceRoleSchema>;

export const WorkspaceSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: WorkspaceRoleSchema,
});
export type Workspace = z.infer<typeof WorkspaceSchema>;

export const NotebookSummarySchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  title: z.string(),
  updatedAt: z.string(),
});
export type NotebookSummary = z.infer<typeof NotebookSummarySchema>;

export const NotebookSchema = NotebookSummarySchema.extend({
  cells: z.array(CellSchema),
  settings: NotebookSettingsSchema.default({ timeRange: DEFAULT_TIME_RANGE }),
  /** Optimistic-concurrency version, incremented by every save. */
  version: z.number().int().nonnegative(),
});
export type Notebook = z.infer<typeof NotebookSchema>;

export const NotebookTitleSchema = z.string().trim().min(1).max(300);

export const CreateNotebookRequestSchema = z.object({
  title: NotebookTitleSchema,
  workspaceId: z.string().optional(),
  cells: z.array(CellInputSchema).max(2000).optional(),
  settings: NotebookSettingsSchema.optional(),
});
export const UpdateNotebookRequestSchema = z.object({
  title: NotebookTitleSchema.optional(),
  cells: z.array(CellInputSchema).max(2000).optional(),
  settings: NotebookSettingsSchema.optional(),
  /** When given, the save fails with `request.conflict` unless it matches. */
  version: z.number().int().nonnegative().optional(),
});

// ---- runtimes ----------------------------------------------------------------------------
export const RuntimeSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  fingerprint: z.string(),
  pairedAt: z.string(),
});
export type Runtime = z.infer<typeof RuntimeSchema>;

export const RegisterRuntimeRequestSchema = z.object({
  name: z.string().trim().min(1).max(200),
  url: z.string().url().max(512),
  identity: RuntimeIdentitySchema,
});

/** The server's identity as a runtime needs it for pairing. */
export const ServerInfoSchema = z.object({ issuer: z.string(), version: z.string() });

// ---- sessions, compile, receipts --------------------------------------------------------
export const CreateSessionRequestSchema = z.object({
  notebookId: z.string(),
  runtimeId: z.string(),
});
export const ExecSessionSchema = z.object({
  sid: z.string(),
  notebookId: z.string(),
  runtimeId: z.string(),
  createdAt: z.string(),
});
export type ExecSession = z.infer<typeof ExecSessionSchema>;

export const AccessTokenResponseSchema = z.object({
  token: z.string(),
  expiresAt: z.string(),
  runtime: RuntimeSchema,
});
export type AccessTokenResponse = z.infer<typeof AccessTokenResponseSchema>;

export const CompileRequestSchema = z.object({
  sid: z.string(),
  cell: CellInputSchema,
  /** The notebook's time range as the client has it (default: the last hour). */
  timeRange: TimeRangeSchema.optional(),
});
export const CompileResponseSchema = z.object({
  envelope: z.string(),
  jti: z.string(),
  cell: z.string(),
  runtimeId: z.string(),
  expiresAt: z.string(),
});
export type CompileResponse = z.infer<typeof CompileResponseSchema>;

export const SubmitReceiptRequestSchema = z.object({
  receipt: z.string().min(1).max(16_384),
  outputs: z.array(OutputSchema).max(100_000),
});
export const SubmitReceiptResponseSchema = z.object({
  auditSeq: z.number().int(),
  status: z.string(),
});

/** Which of these programs of a session still lack a recorded receipt (one call per reload). */
export const PendingReceiptsRequestSchema = z.object({
  jtis: z.array(z.string().min(1).max(128)).max(1000),
});
export const PendingReceiptsResponseSchema = z.object({ pending: z.array(z.string()) });

export const AuditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string().nullable(),
  action: z.string(),
  subject: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const AuditVerifyResponseSchema = z.object({
  ok: z.boolean(),
  count: z.number().int(),
  brokenAt: z.number().int().nullable(),
  reason: z.string().nullable(),
});
export type AuditVerifyResult = z.infer<typeof AuditVerifyResponseSchema>;
