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
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import type { CellInput, IpynbKept, NotebookSettings, Output } from '@spin/protocol';

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

/**
 * Workspaces nest: a member of a workspace is a member of its descendants with at least that
 * role, and runtimes of an ancestor are usable in a descendant. A parent with children cannot
 * be deleted (`restrict`), so deleting never removes a subtree by accident. `archived_at` set:
 * read-only. `default_runtime_id` has no foreign key: it may name a runtime of an ancestor, and
 * a deleted runtime simply stops being the default (it is checked when used).
 */
export const workspaces = pgTable(
  'workspaces',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    parentId: text('parent_id').references((): AnyPgColumn => workspaces.id, {
      onDelete: 'restrict',
    }),
    description: text('description').notNull().default(''),
    defaultRuntimeId: text('default_runtime_id'),
    /** Days an idle execution session is kept; null: the server's default. */
    sessionRetentionDays: integer('session_retention_days'),
    archivedAt: ts('archived_at'),
    createdBy: text('created_by'),
  },
  (t) => [index('workspaces_parent_idx').on(t.parentId)],
);

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
    /**
     * What an imported .ipynb had that SPIN's cell model has no place for (metadata,
     * attachments, outputs, unknown fields), written back on export; null for SPIN notebooks.
     */
    jupyter: jsonb('jupyter').$type<IpynbKept>(),
    /** Labels for finding notebooks; a JSON array of strings. */
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
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
    /** The session's owner (interrupt, restart, hand off); null: its creator. */
    ownerId: text('owner_id'),
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
    /** When the run started and ended at the runtime, as its receipt says (session timeline). */
    runStartedAt: ts('run_started_at'),
    runEndedAt: ts('run_ended_at'),
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
    /**
     * How `hash` was made: `hmac-sha256` (keyed, see auditService.ts) or `sha256` (the plain
     * chain before issue 7; re-chained at start, and refused by the verifier afterwards).
     */
    chain: text('chain', { enum: ['sha256', 'hmac-sha256'] })
      .notNull()
      .default('sha256'),
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

/** Who has attached to a shared session (an access token was minted for them), and when. */
export const sessionParticipants = pgTable(
  'session_participants',
  {
    sid: text('sid')
      .notNull()
      .references(() => execSessions.sid, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    firstAttachedAt: ts('first_attached_at').notNull().defaultNow(),
    lastAttachedAt: ts('last_attached_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sid, t.userId] })],
);

/**
 * Requests for a session's ownership (issue 11): a participant who may run cells asks the owner,
 * who accepts (a handoff) or declines. At most one pending request per requester and session;
 * `owner_epoch` is the session's at the time of asking, so a request made before the session
 * changed hands some other way cannot be accepted.
 */
export const sessionOwnershipRequests = pgTable(
  'session_ownership_requests',
  {
    id: text('id').primaryKey(),
    sid: text('sid')
      .notNull()
      .references(() => execSessions.sid, { onDelete: 'cascade' }),
    requesterId: text('requester_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    ownerEpoch: integer('owner_epoch').notNull(),
    status: text('status', { enum: ['pending', 'accepted', 'declined', 'expired'] })
      .notNull()
      .default('pending'),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    resolvedAt: ts('resolved_at'),
    resolvedBy: text('resolved_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('session_ownership_requests_pending_idx')
      .on(t.sid, t.requesterId)
      .where(sql`${t.status} = 'pending'`),
  ],
);

/**
 * Invitations to a workspace by link (issue 7). Only the sha256 hex of the link's token is
 * stored; an invitation is used once (`accepted_at`), expires, and can be revoked.
 */
export const invitations = pgTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'editor', 'agent', 'viewer'] }).notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    acceptedAt: ts('accepted_at'),
    acceptedBy: text('accepted_by').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('invitations_workspace_idx').on(t.workspaceId)],
);

/**
 * Rate-limit counters (rate-limiter-flexible's `RateLimiterDrizzle` store): kept in the
 * database so limits survive a restart and are shared by every server process on it.
 */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: ts('expire'),
});

/**
 * Every saved state of a notebook (issue 7): one row per version number, written in the same
 * transaction as the save that made it, so restoring any version gives back exactly what was
 * saved. A restore is itself a new version naming the one it restored.
 */
export const notebookVersions = pgTable(
  'notebook_versions',
  {
    notebookId: text('notebook_id')
      .notNull()
      .references(() => notebooks.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    title: text('title').notNull(),
    cells: jsonb('cells').$type<CellInput[]>().notNull(),
    settings: jsonb('settings').$type<Partial<NotebookSettings>>().notNull().default({}),
    savedBy: text('saved_by').references(() => users.id, { onDelete: 'set null' }),
    restoredFrom: integer('restored_from'),
    savedAt: ts('saved_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.notebookId, t.version] })],
);
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

/**
 * Connections of a workspace (issue 9), inherited by its child workspaces. `config` holds the
 * manifest's plain fields; the write-only fields are one AES-256-GCM ciphertext of their JSON
 * (`secrets_enc`, master key with key id), and `secret_fields` names which are set — field
 * names only, so reads never decrypt.
 */
export const connections = pgTable(
  'connections',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    processor: text('processor').notNull(),
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    secretsEnc: text('secrets_enc'),
    secretFields: jsonb('secret_fields').$type<string[]>().notNull().default([]),
    isDefault: boolean('is_default').notNull().default(false),
    version: integer('version').notNull().default(1),
    createdBy: text('created_by'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('connections_workspace_name_idx').on(t.workspaceId, t.name),
    // at most one default connection per processor type in a workspace
    uniqueIndex('connections_workspace_default_idx')
      .on(t.workspaceId, t.processor)
      .where(sql`${t.isDefault}`),
  ],
);

/**
 * Secrets of a workspace (issue 9). `ref` is the reference part (`SecretRef`); only
 * `spin_store` secrets have a value, kept as an AES-256-GCM ciphertext (`value_enc`).
 */
export const secrets = pgTable(
  'secrets',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    storeType: text('store_type', { enum: ['spin_store', 'runtime_env', 'vault'] }).notNull(),
    ref: jsonb('ref').$type<Record<string, unknown>>().notNull(),
    valueEnc: text('value_enc'),
    version: integer('version').notNull().default(1),
    createdBy: text('created_by'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('secrets_workspace_name_idx').on(t.workspaceId, t.name)],
);

/**
 * The credential bundle version of each runtime: bumped when the digest of what its bundle
 * holds (ids and versions of connections and secrets, never values) changes, so it is monotonic
 * and moves only for changes that affect this runtime.
 */
export const runtimeCredentialVersions = pgTable('runtime_credential_versions', {
  runtimeId: text('runtime_id')
    .primaryKey()
    .references(() => runtimes.id, { onDelete: 'cascade' }),
  version: integer('version').notNull(),
  digest: text('digest').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * One row (id 1): a number every write that can change an authorization decision bumps by
 * trigger (migration 0010). Servers check their authorization caches against it, read in the
 * same statement as the resource being authorized (policies/authzCache.ts).
 */
export const authzEpoch = pgTable('authz_epoch', {
  id: integer('id').primaryKey(),
  epoch: bigint('epoch', { mode: 'number' }).notNull(),
});
