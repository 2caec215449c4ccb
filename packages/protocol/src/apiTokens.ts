import { z } from 'zod';
import { ResourceIdSchema, StorableStringSchema } from './strings.js';

/**
 * API tokens (REST `Authorization: Bearer`): personal (acts as its owner, capped to one
 * workspace), agent (role `agent`, for AI agents) and oneshot (runs one notebook, once).
 */
export const ApiTokenKindSchema = z.enum(['personal', 'agent', 'oneshot']);
export type ApiTokenKind = z.infer<typeof ApiTokenKindSchema>;

/**
 * Prefix of every token secret, per kind. A fixed, greppable prefix lets secret scanners
 * (GitHub push protection, gitleaks, trufflehog) recognise a leaked SPIN token.
 */
export const API_TOKEN_PREFIX = {
  personal: 'spin_pat_',
  agent: 'spin_agt_',
  oneshot: 'spin_ost_',
} as const satisfies Record<ApiTokenKind, string>;

/** Longest lifetime a token may be given, days. */
export const API_TOKEN_MAX_DAYS = 366;

/** `POST /api/v1/tokens`. */
export const CreateApiTokenRequestSchema = z.object({
  name: StorableStringSchema.pipe(z.string().trim().min(1).max(100)),
  kind: ApiTokenKindSchema,
  workspaceId: ResourceIdSchema,
  /** Lifetime in days from now (1 … {@link API_TOKEN_MAX_DAYS}). */
  expiresInDays: z.number().int().min(1).max(API_TOKEN_MAX_DAYS),
  /** The one notebook a oneshot token may run (required for, and only for, oneshot). */
  notebookId: ResourceIdSchema.optional(),
});
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequestSchema>;

/** A token as listed: never its secret. */
export const ApiTokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: ApiTokenKindSchema,
  workspaceId: z.string(),
  /** The workspace role requests made with the token act with (at most the owner's). */
  role: z.enum(['owner', 'editor', 'agent', 'viewer']),
  notebookId: z.string().nullable(),
  userId: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type ApiToken = z.infer<typeof ApiTokenSchema>;

/** Answer of `POST /api/v1/tokens`: the secret appears here once and is never shown again. */
export const CreatedApiTokenSchema = z.object({ token: ApiTokenSchema, secret: z.string() });
export type CreatedApiToken = z.infer<typeof CreatedApiTokenSchema>;

export const ApiTokenListSchema = z.array(ApiTokenSchema);
