import { createHash, randomBytes } from 'node:crypto';
import {
  API_TOKEN_PREFIX,
  SpinError,
  type ApiToken,
  type ApiTokenKind,
  type CreateApiTokenRequest,
  type CreatedApiToken,
  type WorkspaceRole,
} from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';
import type { UserActor } from '../policies/actor.js';
import type { Grant } from '../policies/authorize.js';
import { roleAllows } from '../policies/rolePolicy.js';
import { lesserRole } from '../policies/tokenScope.js';
import { apiTokensRepository, type ApiTokenRow } from '../repositories/apiTokensRepository.js';
import { execSessionsRepository } from '../repositories/execSessionsRepository.js';
import { notebooksRepository } from '../repositories/notebooksRepository.js';
import type { AuditService } from './auditService.js';

/** How often `last_used_at` is rewritten for a busy token (a write per request would be waste). */
const LAST_USED_RESOLUTION_MS = 60_000;
/** Longest accepted bearer value; longer ones are refused before hashing. */
const MAX_SECRET_LENGTH = 128;

/**
 * SHA-256 of a token secret. The secret is 256 bits from the CSPRNG, so unlike a password
 * there is nothing to guess: a slow hash (scrypt) would buy no security and cost every
 * request tens of milliseconds. A fast hash still means a copy of the database yields no
 * usable token.
 */
export const hashTokenSecret = (secret: string) =>
  createHash('sha256').update(secret).digest('hex');

/** Presenter: a token as listed (never its secret or hash). */
export function presentApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    workspaceId: row.workspaceId,
    role: row.role,
    notebookId: row.notebookId,
    userId: row.userId,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** The role a token of `kind` acts with, given its creator's role in the workspace. */
function tokenRole(kind: ApiTokenKind, creatorRole: WorkspaceRole): WorkspaceRole {
  // Personal tokens act as their owner; agent and oneshot tokens are agents (DESIGN.md §4),
  // never more than the creator (a viewer's agent token stays a viewer).
  return kind === 'personal' ? creatorRole : lesserRole('agent', creatorRole);
}

/** API tokens: create (secret shown once), list, revoke, and resolve a bearer secret. */
export class ApiTokenService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  /**
   * Create a token for the caller in the grant's workspace. A oneshot token names the notebook
   * it may run, which must be in that workspace and runnable by the caller.
   */
  async create(grant: Grant, input: CreateApiTokenRequest): Promise<CreatedApiToken> {
    if (grant.actor.token) {
      throw new SpinError('token.not_allowed', 'an API token cannot create tokens; sign in');
    }
    const role = tokenRole(input.kind, grant.role);
    if (input.kind === 'oneshot') {
      if (!input.notebookId) {
        throw new SpinError('token.notebook_required', 'a oneshot token needs a notebookId');
      }
      const ws = await notebooksRepository.workspaceOf(this.db, input.notebookId);
      if (ws !== grant.workspaceId) {
        throw new SpinError('notebook.not_found', 'notebook not found in this workspace');
      }
      if (!roleAllows(role, 'notebook.run')) {
        throw new SpinError('auth.permission_required', 'your role does not allow notebook.run');
      }
    } else if (input.notebookId) {
      throw new SpinError('request.invalid', 'only oneshot tokens name a notebook');
    }
    const secret = API_TOKEN_PREFIX[input.kind] + randomBytes(32).toString('base64url');
    const row = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const created = await apiTokensRepository.insert(tx, {
        id: newId('tok'),
        userId: grant.actor.userId,
        workspaceId: grant.workspaceId,
        kind: input.kind,
        name: input.name,
        role,
        notebookId: input.notebookId ?? null,
        secretHash: hashTokenSecret(secret),
        expiresAt: new Date(Date.now() + input.expiresInDays * 86_400_000),
      });
      await this.audit.append(
        {
          actor: grant.actor.userId,
          workspaceId: grant.workspaceId,
          action: 'token.create',
          subject: created.id,
          data: {
            kind: created.kind,
            name: created.name,
            role,
            notebookId: created.notebookId,
            expiresAt: created.expiresAt.toISOString(),
          },
        },
        tx,
      );
      return created;
    });
    return { token: presentApiToken(row), secret };
  }

  /** The caller's own tokens, newest first. */
  async list(actor: UserActor): Promise<ApiToken[]> {
    if (actor.token) throw new SpinError('token.not_allowed', 'an API token cannot list tokens');
    return (await apiTokensRepository.listForUser(this.db, actor.userId)).map(presentApiToken);
  }

  /** Revoke one of the caller's tokens (org admins: anyone's). Idempotent. */
  async revoke(actor: UserActor, id: string): Promise<ApiToken> {
    if (actor.token) throw new SpinError('token.not_allowed', 'an API token cannot revoke tokens');
    const existing = await apiTokensRepository.get(this.db, id);
    if (!existing || (existing.userId !== actor.userId && actor.orgRole !== 'admin')) {
      throw new SpinError('request.not_found', 'token not found');
    }
    if (existing.revokedAt) return presentApiToken(existing);
    const row = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const revoked = (await apiTokensRepository.revoke(tx, id, new Date()))!;
      await this.audit.append(
        {
          actor: actor.userId,
          workspaceId: revoked.workspaceId,
          action: 'token.revoke',
          subject: revoked.id,
          data: { kind: revoked.kind, name: revoked.name, owner: revoked.userId },
        },
        tx,
      );
      return revoked;
    });
    return presentApiToken(row);
  }

  /**
   * Resolve a bearer secret to the actor it acts as. Unknown, revoked and expired tokens are
   * 401 `token.invalid` / `token.revoked` / `token.expired`, checked on every request.
   */
  async resolve(secret: string): Promise<UserActor> {
    if (!secret.startsWith('spin_') || secret.length > MAX_SECRET_LENGTH) {
      throw new SpinError('token.invalid', 'the bearer token is not a SPIN API token');
    }
    const found = await apiTokensRepository.findBySecretHash(this.db, hashTokenSecret(secret));
    if (!found) throw new SpinError('token.invalid', 'unknown API token');
    const { token, user } = found;
    const now = new Date();
    if (token.revokedAt) throw new SpinError('token.revoked', 'this API token was revoked');
    if (token.expiresAt <= now) throw new SpinError('token.expired', 'this API token expired');
    await apiTokensRepository.touch(this.db, token.id, now, LAST_USED_RESOLUTION_MS);
    return {
      kind: 'user',
      userId: user.id,
      email: user.email,
      name: user.name,
      orgRole: user.orgRole,
      token: {
        id: token.id,
        kind: token.kind,
        workspaceId: token.workspaceId,
        role: token.role,
        notebookId: token.notebookId,
      },
    };
  }

  /**
   * A oneshot token runs its notebook once: it binds to the first session it compiles in, and
   * compiles each cell at most once. Other tokens pass through.
   */
  async consumeRun(actor: UserActor, sid: string, cellId: string): Promise<void> {
    const token = actor.token;
    if (token?.kind !== 'oneshot') return;
    // Bind only to a real session of the token's notebook, so a bogus sid cannot spend it.
    const session = await execSessionsRepository.get(this.db, sid);
    if (session?.notebookId !== token.notebookId) {
      throw new SpinError('session.not_found', `session ${sid} is not a session of this notebook`);
    }
    const bound = await apiTokensRepository.bindSession(this.db, token.id, sid);
    if (bound !== sid) {
      throw new SpinError(
        'token.oneshot_spent',
        'this oneshot token already ran in another session',
      );
    }
    if (!(await apiTokensRepository.claimCell(this.db, token.id, cellId))) {
      throw new SpinError('token.oneshot_spent', `this oneshot token already ran cell ${cellId}`);
    }
  }
}
