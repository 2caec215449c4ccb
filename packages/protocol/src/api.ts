import { z } from 'zod';
import { CellInputSchema, CellSchema } from './cells.js';
import { NotebookSettingsSchema } from './notebookSettings.js';
import { InputValuesSchema } from './templateVariables.js';
import { DEFAULT_TIME_RANGE, TimeRangeSchema } from './timeRange.js';
import { OutputSchema } from './outputs.js';
import { JwksSchema } from './keys.js';
import { FingerprintSchema, RuntimeIdentitySchema } from './runtimeWs.js';
import { ResourceIdSchema, StorableStringSchema } from './strings.js';

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
  name: StorableStringSchema.trim().min(1).max(200),
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

export const AuthStateSchema = z.object({
  signupOpen: z.boolean(),
  /** Present when OpenID Connect sign-on is configured: the sign-in page shows its button. */
  sso: z.object({ label: z.string(), loginUrl: z.string() }).optional(),
  /**
   * `true` when the request carries a live session (absent otherwise), so a client can ask for
   * `GET /auth/me` only when it will succeed instead of provoking a 401 on every signed-out load.
   */
  signedIn: z.literal(true).optional(),
});

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
  /** What the caller may do here (`notebook.create`, `runtime.manage`, …), for the UI. */
  allowedActions: z.array(z.string()).optional(),
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
  /** What the caller may do with it (`notebook.edit`, `notebook.run`, …), for the UI. */
  allowedActions: z.array(z.string()).optional(),
  /** Labels for finding notebooks (`PUT /notebooks/:id/tags`). */
  tags: z.array(z.string()).default([]),
});
export type Notebook = z.infer<typeof NotebookSchema>;

export const NotebookTitleSchema = StorableStringSchema.trim().min(1).max(300);

export const CreateNotebookRequestSchema = z.object({
  title: NotebookTitleSchema,
  workspaceId: ResourceIdSchema.optional(),
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
  /** The workspace the runtime belongs to; only its members (and org admins) may use it. */
  workspaceId: z.string(),
  name: z.string(),
  url: z.string(),
  fingerprint: z.string(),
  pairedAt: z.string(),
});
export type Runtime = z.infer<typeof RuntimeSchema>;

const RuntimeNameSchema = StorableStringSchema.trim().min(1).max(200);
const RuntimeUrlSchema = StorableStringSchema.url().max(512);
const OriginsSchema = z.array(StorableStringSchema.url().max(512)).max(32);

/**
 * `POST /runtimes`: register a newly paired runtime in a workspace (default: the caller's
 * first). A runtime id that is already registered is `409 runtime.already_registered`: keys
 * and URL change only through an explicit re-pair.
 */
export const RegisterRuntimeRequestSchema = z.object({
  name: RuntimeNameSchema,
  url: RuntimeUrlSchema,
  workspaceId: ResourceIdSchema.optional(),
  identity: RuntimeIdentitySchema,
});

/**
 * `POST /runtimes/:id/repair`: replace a registered runtime's keys and/or URL. The caller
 * states the fingerprint it expects the server to hold now; a different one is
 * `409 runtime.fingerprint_mismatch` and changes nothing.
 */
export const RepairRuntimeRequestSchema = z.object({
  expectedFingerprint: FingerprintSchema,
  identity: RuntimeIdentitySchema,
  url: RuntimeUrlSchema.optional(),
  name: RuntimeNameSchema.optional(),
});
export const RepairRuntimeResponseSchema = z.object({
  runtime: RuntimeSchema,
  previousFingerprint: z.string(),
  previousUrl: z.string(),
});
export type RepairRuntimeResponse = z.infer<typeof RepairRuntimeResponseSchema>;

/**
 * `POST /runtimes/:id/pair-grant`: a short-lived pairing grant for pairing the (already paired)
 * runtime again — with this server (default) or with the server named in `server`.
 */
export const PairGrantRequestSchema = z.object({
  allowedOrigins: OriginsSchema.default([]),
  server: z.object({ issuer: StorableStringSchema.min(1).max(512), jwks: JwksSchema }).optional(),
});
export const PairGrantResponseSchema = z.object({ grant: z.string(), expiresAt: z.string() });
export type PairGrantResponse = z.infer<typeof PairGrantResponseSchema>;

/** The server's identity as a runtime needs it for pairing. */
export const ServerInfoSchema = z.object({ issuer: z.string(), version: z.string() });

// ---- sessions, compile, receipts --------------------------------------------------------
export const CreateSessionRequestSchema = z.object({
  notebookId: ResourceIdSchema,
  runtimeId: ResourceIdSchema,
});
export const ExecSessionSchema = z.object({
  sid: z.string(),
  notebookId: z.string(),
  runtimeId: z.string(),
  createdAt: z.string(),
  /** The session's owner: may interrupt, restart and hand the session off. */
  ownerId: z.string().optional(),
  /** Raised by every handoff; tokens of older epochs lose owner rights at the runtime. */
  ownerEpoch: z.number().int().nonnegative().optional(),
});
export type ExecSession = z.infer<typeof ExecSessionSchema>;

/** Someone who attached to a shared session. */
export const SessionParticipantSchema = z.object({
  userId: z.string(),
  name: z.string(),
  firstAttachedAt: z.string(),
  lastAttachedAt: z.string(),
  /** May be handed the session: can run cells in its workspace (sent with `allowedActions`). */
  mayOwn: z.boolean().optional(),
});
export type SessionParticipant = z.infer<typeof SessionParticipantSchema>;

/** Session actions a caller may be allowed (`SessionRecord.allowedActions`). */
export const SessionActionSchema = z.enum([
  'session.run',
  'session.interrupt',
  'session.handoff',
  'session.request_ownership',
]);
export type SessionAction = z.infer<typeof SessionActionSchema>;

/** How long a request for a session's ownership waits for its owner's answer. */
export const OWNERSHIP_REQUEST_TTL_MS = 10 * 60_000;

/**
 * A participant's request for the session's ownership (issue 11 "request ownership"). Only
 * `pending` ones can be answered; one that outlived its TTL is `expired`, one made before the
 * session changed hands some other way is `superseded`.
 */
export const OwnershipRequestSchema = z.object({
  id: z.string(),
  requesterId: z.string(),
  requesterName: z.string(),
  requestedAt: z.string(),
  expiresAt: z.string(),
  status: z.enum(['pending', 'accepted', 'declined', 'expired', 'superseded']),
  resolvedAt: z.string().nullable(),
  /** Who accepted or declined it. */
  resolvedByName: z.string().nullable(),
});
export type OwnershipRequest = z.infer<typeof OwnershipRequestSchema>;

/** `GET /api/v1/sessions/:sid`: the session record (owner, participants, runtime). */
export const SessionRecordSchema = ExecSessionSchema.extend({
  ownerId: z.string(),
  ownerEpoch: z.number().int().nonnegative(),
  owner: z.object({ id: z.string(), name: z.string() }),
  participants: z.array(SessionParticipantSchema),
  /**
   * What the caller may do in this session (for the UI to hide or disable the rest; the server
   * and runtime enforce it either way): `session.run` (execute cells), `session.interrupt`
   * (interrupt and restart — the owner alone), `session.handoff` (the owner, and workspace owners
   * who may also take a session over by handing it to themselves), `session.request_ownership`
   * (anyone else who may run cells: ask the owner for the session).
   */
  allowedActions: z.array(SessionActionSchema).optional(),
  /**
   * Requests for ownership awaiting the owner's answer (sent with `allowedActions`): accepting
   * or declining one needs `session.handoff`.
   */
  ownershipRequests: z.array(OwnershipRequestSchema).optional(),
  /** The caller's newest request for ownership, whatever became of it (with `allowedActions`). */
  myOwnershipRequest: OwnershipRequestSchema.nullable().optional(),
});
export type SessionRecord = z.infer<typeof SessionRecordSchema>;

/** `POST /api/v1/sessions/:sid/handoff`: make `to` (a user who may run cells here) the owner. */
export const HandoffRequestSchema = z.object({ to: ResourceIdSchema });
export type HandoffRequest = z.infer<typeof HandoffRequestSchema>;

export const AccessTokenResponseSchema = z.object({
  token: z.string(),
  expiresAt: z.string(),
  runtime: RuntimeSchema,
});
export type AccessTokenResponse = z.infer<typeof AccessTokenResponseSchema>;

export const CompileRequestSchema = z.object({
  sid: ResourceIdSchema,
  cell: CellInputSchema,
  /** The notebook's time range as the client has it (default: the last hour). */
  timeRange: TimeRangeSchema.optional(),
  /** Values of the notebook's `input` template variables for this session (checked). */
  templateValues: InputValuesSchema.optional(),
});
/** `POST /notebooks/:id/variables/:name/compile`: a `code_python` variable's program. */
export const CompileVariableRequestSchema = z.object({ sid: ResourceIdSchema });
export const CompileResponseSchema = z.object({
  envelope: z.string(),
  jti: z.string(),
  cell: z.string(),
  runtimeId: z.string(),
  expiresAt: z.string(),
  /**
   * Credential bundle version the program needs at the runtime; the client relays a newer bundle
   * first when the runtime holds an older one (credentials.ts).
   */
  credentialsVersion: z.number().int().nonnegative().optional(),
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
  jtis: z.array(ResourceIdSchema).max(1000),
});
export const PendingReceiptsResponseSchema = z.object({ pending: z.array(z.string()) });

export const AuditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string().nullable(),
  /** Workspace the entry belongs to; null for org-level entries (logins), admin-only. */
  workspaceId: z.string().nullable(),
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
