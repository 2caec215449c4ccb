import { z } from 'zod';
import { ResourceIdSchema, StorableStringSchema } from './strings.js';

/**
 * Connections, secrets and the encrypted credential bundle (DESIGN.md §1 "Credentials", §3).
 *
 * The server is the system of record for connections and secret *references*; secret values of
 * `spin_store` secrets are kept there encrypted at rest. A runtime receives, for the workspaces
 * that may use it, a versioned **bundle** — a JWS signed by the server key inside a JWE sealed to
 * the runtime's X25519 key, exactly like programs — relayed by a client that can neither read nor
 * forge it. Programs name the connection and secrets they may use by id (resolved by the server,
 * which decides what the caller's workspace may use); the runtime resolves values from its bundle,
 * its own environment (`runtime_env`) or Vault (`vault`) at execution time. Values never appear in
 * a compiled program, a notebook, an API response or a log.
 */

/** Name of a connection or secret as cells write it (`connection: name`, `{{secret:NAME}}`). */
export const CredentialNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/,
    'names start with a letter or "_" and hold letters, digits, "_", "." and "-"',
  );

/** Where a secret's value lives. */
export const SecretStoreTypeSchema = z.enum(['spin_store', 'runtime_env', 'vault']);
export type SecretStoreType = z.infer<typeof SecretStoreTypeSchema>;

/**
 * A HashiCorp Vault KV v2 location, read by the runtime with its own Vault credentials
 * (`SPIN_VAULT_ADDR` + token or AppRole); the server holds only this reference.
 */
export const VaultRefSchema = z.object({
  mount: z
    .string()
    .regex(/^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,127}$/)
    .default('secret'),
  path: z
    .string()
    .min(1)
    .max(512)
    .regex(/^[A-Za-z0-9_./-]+$/, 'Vault paths are letters, digits, "_", "-", "." and "/"'),
  key: z.string().min(1).max(256),
  version: z.number().int().positive().optional(),
});
export type VaultRef = z.infer<typeof VaultRefSchema>;

/** The reference part of a secret (no value). */
export const SecretRefSchema = z.discriminatedUnion('storeType', [
  z.object({ storeType: z.literal('spin_store') }),
  /** An environment variable of the runtime process; the value never reaches the server. */
  z.object({
    storeType: z.literal('runtime_env'),
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name'),
  }),
  z.object({ storeType: z.literal('vault'), vault: VaultRefSchema }),
]);
export type SecretRef = z.infer<typeof SecretRefSchema>;

/** "A value is stored" marker of write-only fields (Grafana's `secureJsonFields`). */
export const WriteOnlySetSchema = z.object({ set: z.boolean() });

// ---- REST read models and requests (server ↔ client) --------------------------------------

/** A secret as the API shows it: never its value. */
export const SecretSchema = z.object({
  id: ResourceIdSchema,
  workspaceId: ResourceIdSchema,
  name: CredentialNameSchema,
  description: z.string(),
  ref: SecretRefSchema,
  /** For `spin_store`: whether a value is stored. */
  value: WriteOnlySetSchema,
  version: z.number().int().nonnegative(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Secret = z.infer<typeof SecretSchema>;

export const CreateSecretRequestSchema = z.object({
  workspaceId: ResourceIdSchema.optional(),
  name: CredentialNameSchema,
  description: StorableStringSchema.max(1000).default(''),
  ref: SecretRefSchema,
  /** Only for `spin_store`; write-only. */
  value: StorableStringSchema.max(65_536).optional(),
});
export const UpdateSecretRequestSchema = z.object({
  description: StorableStringSchema.max(1000).optional(),
  ref: SecretRefSchema.optional(),
  value: StorableStringSchema.max(65_536).optional(),
});

/**
 * A connection as owners and editors see it: plain config, and for each write-only field of the
 * manifest's `secretsSchema` only whether it is set.
 */
export const ConnectionSchema = z.object({
  id: ResourceIdSchema,
  workspaceId: ResourceIdSchema,
  name: CredentialNameSchema,
  /** Processor manifest id (the folder name under `processors/`). */
  processor: z.string().min(1).max(64),
  config: z.record(z.string(), z.unknown()),
  secrets: z.record(z.string(), WriteOnlySetSchema),
  isDefault: z.boolean(),
  version: z.number().int().nonnegative(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Connection = z.infer<typeof ConnectionSchema>;

/** What agents (and lists for running cells) see of a connection: name and type only. */
export const ConnectionSummarySchema = z.object({
  id: ResourceIdSchema,
  workspaceId: ResourceIdSchema,
  name: CredentialNameSchema,
  processor: z.string().min(1).max(64),
  isDefault: z.boolean(),
});
export type ConnectionSummary = z.infer<typeof ConnectionSummarySchema>;

export const CreateConnectionRequestSchema = z.object({
  workspaceId: ResourceIdSchema.optional(),
  name: CredentialNameSchema,
  processor: z.string().min(1).max(64),
  config: z.record(z.string(), z.unknown()).default({}),
  /** Write-only values; a value may be a `{{secret:NAME}}` reference. */
  secrets: z.record(z.string(), StorableStringSchema.max(65_536)).default({}),
  isDefault: z.boolean().default(false),
});
export const UpdateConnectionRequestSchema = z.object({
  name: CredentialNameSchema.optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  /** Fields given replace stored values; `null` clears one; absent fields keep theirs. */
  secrets: z.record(z.string(), StorableStringSchema.max(65_536).nullable()).optional(),
  isDefault: z.boolean().optional(),
  /** Optimistic concurrency: when given, must match. */
  version: z.number().int().nonnegative().optional(),
});

/**
 * `POST /api/v1/workspaces/:id/connections` and `…/secrets`: the create requests without
 * `workspaceId`, which is the path's.
 */
export const CreateConnectionBodySchema = CreateConnectionRequestSchema.omit({ workspaceId: true });
export const CreateSecretBodySchema = CreateSecretRequestSchema.omit({ workspaceId: true });

/** `POST /api/v1/connections/:id/test`: the session whose runtime runs the health check. */
export const TestConnectionRequestSchema = z.object({ sid: ResourceIdSchema });

/** `DELETE /api/v1/connections/:id` and `/api/v1/secrets/:id`. */
export const CredentialDeletedSchema = z.object({ deleted: z.literal(true) });

// ---- the bundle (server → client → runtime, sealed) ----------------------------------------

/** JWS `typ` of a credential bundle (distinct from programs, so one can never pass as the other). */
export const CREDENTIAL_BUNDLE_TYP = 'spin.credentials+jwt';

export const BundleSecretSchema = z.object({
  id: ResourceIdSchema,
  name: CredentialNameSchema,
  workspaceId: ResourceIdSchema,
  version: z.number().int().nonnegative(),
  ref: SecretRefSchema,
  /** The value, for `spin_store` secrets only. */
  value: z.string().optional(),
});
export type BundleSecret = z.infer<typeof BundleSecretSchema>;

export const BundleConnectionSchema = z.object({
  id: ResourceIdSchema,
  name: CredentialNameSchema,
  workspaceId: ResourceIdSchema,
  processor: z.string().min(1).max(64),
  version: z.number().int().nonnegative(),
  config: z.record(z.string(), z.unknown()),
  /** Values of the manifest's secret fields; each may be a `{{secret:NAME}}` reference. */
  secrets: z.record(z.string(), z.string()),
  /** Secret names the connection's fields reference, resolved to ids by the server. */
  secretIds: z.record(z.string(), ResourceIdSchema).default({}),
});
export type BundleConnection = z.infer<typeof BundleConnectionSchema>;

/**
 * Claims of a sealed bundle for one runtime. `version` increases with every change that
 * affects this runtime; a runtime keeps the newest it has seen and refuses older ones
 * (`credentials.stale_bundle`), so a relayed old bundle cannot resurrect a deleted credential.
 */
export const CredentialBundleClaimsSchema = z.object({
  iss: z.string().min(1),
  aud: ResourceIdSchema,
  jti: z.string().min(16),
  iat: z.number().int(),
  version: z.number().int().positive(),
  connections: z.array(BundleConnectionSchema).max(10_000),
  secrets: z.array(BundleSecretSchema).max(10_000),
});
export type CredentialBundleClaims = z.infer<typeof CredentialBundleClaimsSchema>;

/**
 * What a program may use (added to program claims by the server at compile time): the
 * connection and secrets resolved by name in the notebook's workspace (and its ancestors), by
 * id, and the bundle version that holds them. The runtime uses nothing outside this list.
 */
export const ProgramCredentialsSchema = z.object({
  bundleVersion: z.number().int().nonnegative(),
  connection: z.object({ id: ResourceIdSchema, name: CredentialNameSchema }).nullable(),
  /** `{{secret:NAME}}` / `SpinSecrets.get_secret("NAME")` names → secret ids. */
  secrets: z.record(CredentialNameSchema, ResourceIdSchema),
});
export type ProgramCredentials = z.infer<typeof ProgramCredentialsSchema>;

/** `GET /api/v1/runtimes/:id/credentials?have=N` — the sealed bundle, unless `have` is current. */
export const CredentialBundleResponseSchema = z.object({
  version: z.number().int().nonnegative(),
  /** Compact JWE, or null when the runtime already has `version`. */
  bundle: z.string().nullable(),
});

// ---- session timeline (audit view of a session's runs) -------------------------------------

/** One run of a session: who compiled it, when, where, how it ended, what it connected to. */
export const SessionTimelineEntrySchema = z.object({
  jti: z.string(),
  cell: z.string(),
  /** The processor of an integration cell; null for kernel code. */
  processor: z.string().nullable(),
  user: z.object({ id: z.string(), name: z.string().nullable() }),
  issuedAt: z.string(),
  /** The receipt's status (`ok`, `error`, `aborted`…); `pending` until a receipt arrives. */
  status: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationMs: z.number().int().nonnegative().nullable(),
  runtime: z.object({ id: z.string(), name: z.string().nullable() }),
  /** Names of the connections the run could use (names only, as agents may see them). */
  connections: z.array(CredentialNameSchema),
});
export type SessionTimelineEntry = z.infer<typeof SessionTimelineEntrySchema>;

/** `GET /api/v1/sessions/:sid/timeline`. */
export const SessionTimelineSchema = z.object({
  sid: z.string(),
  notebookId: z.string(),
  runs: z.array(SessionTimelineEntrySchema),
});
export type SessionTimeline = z.infer<typeof SessionTimelineSchema>;
