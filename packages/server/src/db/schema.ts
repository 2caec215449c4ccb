import {
  bigint,
  boolean,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { CellInput, NotebookSettings, Output } from '@spin/protocol';

/**
 * Control-plane tables (drizzle schema). Migrations in `packages/server/drizzle/` are generated
 * from this file with `npx drizzle-kit generate` (see drizzle.config.ts).
 *
 * What comes from execution (outputs, audit data, programs) is `json`, not `jsonb`: `json`
 * keeps the JSON text as sent, so `\u0000` and unpaired surrogates (which `jsonb` refuses) are
 * stored faithfully and every run that executed can be recorded. Inputs that land in `text` or
 * `jsonb` columns are refused at the protocol schemas instead (StorableStringSchema).
 */
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  orgRole: text('org_role', { enum: ['admin', 'member'] }).notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** Browser sessions; `id` is the sha256 hex of the cookie token (the token itself is never stored). */
export const authSessions = pgTable(
  'auth_sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('auth_sessions_user_idx').on(t.userId)],
);

export const workspaces = pgTable('workspaces', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const workspaceMembers = pgTable(
  'workspace_members',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'editor', 'agent', 'viewer'] }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.userId] })],
);

export const notebooks = pgTable(
  'notebooks',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    /** Cell inputs only; outputs live in cell_runs so edits and runs never rewrite each other. */
    cells: jsonb('cells').$type<CellInput[]>().notNull(),
    /** Notebook-wide settings (time range); `{}` means the defaults. */
    settings: jsonb('settings').$type<Partial<NotebookSettings>>().notNull().default({}),
    version: integer('version').notNull().default(0),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('notebooks_workspace_idx').on(t.workspaceId)],
);

/**
 * The latest verified run of each cell: outputs and status from a runtime receipt. One row per
 * (notebook, cell), replaced only by a run that started later, so a late or replayed receipt
 * never overwrites a newer result.
 */
export const cellRuns = pgTable(
  'cell_runs',
  {
    notebookId: text('notebook_id')
      .notNull()
      .references(() => notebooks.id, { onDelete: 'cascade' }),
    cellId: text('cell_id').notNull(),
    jti: text('jti').notNull(),
    status: text('status').notNull(),
    startedAt: ts('started_at').notNull(),
    endedAt: ts('ended_at').notNull(),
    executionCount: integer('execution_count'),
    exitCode: integer('exit_code'),
    outputs: json('outputs').$type<Output[]>().notNull(),
    recordedAt: ts('recorded_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.notebookId, t.cellId] })],
);

/**
 * Paired runtimes; `id` is the runtime's own runtimeId. A runtime belongs to one workspace: only
 * its members (and org admins) see and use it, only its owners re-pair it.
 */
export const runtimes = pgTable(
  'runtimes',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    url: text('url').notNull(),
    signingJwk: jsonb('signing_jwk').$type<Record<string, unknown>>().notNull(),
    encryptionJwk: jsonb('encryption_jwk').$type<Record<string, unknown>>().notNull(),
    fingerprint: text('fingerprint').notNull(),
    pairedAt: ts('paired_at').notNull().defaultNow(),
    registeredBy: text('registered_by'),
  },
  (t) => [index('runtimes_workspace_idx').on(t.workspaceId)],
);

export const execSessions = pgTable(
  'exec_sessions',
  {
    sid: text('sid').primaryKey(),
    notebookId: text('notebook_id')
      .notNull()
      .references(() => notebooks.id, { onDelete: 'cascade' }),
    runtimeId: text('runtime_id')
      .notNull()
      .references(() => runtimes.id, { onDelete: 'cascade' }),
    createdBy: text('created_by').notNull(),
    ownerEpoch: integer('owner_epoch').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('exec_sessions_notebook_runtime_idx').on(t.notebookId, t.runtimeId)],
);

/** Every compiled program; the receipt columns are filled when its runtime receipt arrives. */
export const programs = pgTable(
  'programs',
  {
    jti: text('jti').primaryKey(),
    sid: text('sid').notNull(),
    notebookId: text('notebook_id').notNull(),
    cellId: text('cell_id').notNull(),
    sub: text('sub').notNull(),
    runtimeId: text('runtime_id').notNull(),
    program: json('program').$type<Record<string, unknown>>().notNull(),
    issuedAt: ts('issued_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    receiptStatus: text('receipt_status'),
    receiptAt: ts('receipt_at'),
  },
  (t) => [index('programs_sid_idx').on(t.sid)],
);

/**
 * Append-only, hash-chained audit log. `at` is kept as the exact ISO text that was hashed.
 * `workspace_id` scopes who may read an entry (owners of that workspace; null: org admins only)
 * and is part of the hash when set. No foreign key: the trail outlives a deleted workspace.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    at: text('at').notNull(),
    actor: text('actor'),
    workspaceId: text('workspace_id'),
    action: text('action').notNull(),
    subject: text('subject'),
    data: json('data').$type<Record<string, unknown>>().notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_log_workspace_seq_idx').on(t.workspaceId, t.seq)],
);

/** Server signing keys; the private JWK is AES-256-GCM encrypted with the master key. */
export const serverKeys = pgTable('server_keys', {
  kid: text('kid').primaryKey(),
  privateJwkEnc: text('private_jwk_enc').notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  active: boolean('active').notNull().default(true),
});

/**
 * API tokens (REST `Authorization: Bearer`). `secret_hash` is the SHA-256 hex of the secret:
 * the secret is 256 bits from the CSPRNG, so a fast hash is enough (nothing to brute-force,
 * unlike a password) and lets every request find its token by one indexed lookup.
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['personal', 'agent', 'oneshot'] }).notNull(),
    name: text('name').notNull(),
    role: text('role', { enum: ['owner', 'editor', 'agent', 'viewer'] }).notNull(),
    /** The one notebook a oneshot token may run. */
    notebookId: text('notebook_id').references(() => notebooks.id, { onDelete: 'cascade' }),
    /** The execution session a oneshot token ran in (set by its first compile). */
    boundSid: text('bound_sid'),
    secretHash: text('secret_hash').notNull().unique(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

/** Cells a oneshot token has compiled: each at most once, so the token runs its notebook once. */
export const apiTokenCells = pgTable(
  'api_token_cells',
  {
    tokenId: text('token_id')
      .notNull()
      .references(() => apiTokens.id, { onDelete: 'cascade' }),
    cellId: text('cell_id').notNull(),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.cellId] })],
);

/** Users signed in through OpenID Connect: the IdP's (issuer, sub) names the user for good. */
export const userIdentities = pgTable(
  'user_identities',
  {
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] })],
);

/**
 * OpenID Connect logins in flight: state, nonce and PKCE verifier, keyed by the SHA-256 of a
 * random value held in the browser's short-lived cookie, so a callback only completes in the
 * browser that started it, and only once (the row is deleted when consumed).
 */
export const oidcLogins = pgTable('oidc_logins', {
  id: text('id').primaryKey(),
  state: text('state').notNull(),
  nonce: text('nonce').notNull(),
  codeVerifier: text('code_verifier').notNull(),
  returnTo: text('return_to').notNull(),
  expiresAt: ts('expires_at').notNull(),
});
