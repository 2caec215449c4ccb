import {
  ACCESS_TOKEN_TTL_S,
  signAccessToken,
  SpinError,
  type AccessTokenResponse,
  type ExecSession,
  type SessionAction,
  type SessionPermission,
  type SessionRecord,
} from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';
import type { Grant, GrantFor } from '../policies/authorize.js';
import { ORG_ADMIN_ROLE, SESSION_PERMS, roleAllows } from '../policies/rolePolicy.js';
import { usersRepository } from '../repositories/usersRepository.js';
import { workspacesRepository } from '../repositories/workspacesRepository.js';
import type { AuditService } from './auditService.js';
import {
  execSessionsRepository,
  type ExecSessionRow,
} from '../repositories/execSessionsRepository.js';
import {
  ownershipRequestsRepository,
  type NamedOwnershipRequestRow,
} from '../repositories/ownershipRequestsRepository.js';
import { presentOwnershipRequest } from './ownershipRequestPresenter.js';
import { presentRuntime, type RuntimeService } from './runtimeService.js';
import type { ServerKeyService } from './serverKeyService.js';

/** Presenter: an execution session. */
export function presentExecSession(row: ExecSessionRow): ExecSession {
  return {
    sid: row.sid,
    notebookId: row.notebookId,
    runtimeId: row.runtimeId,
    createdAt: row.createdAt.toISOString(),
    ownerId: ownerOf(row),
    ownerEpoch: row.ownerEpoch,
  };
}

/** The session's owner: the one it was handed to, else its creator. */
export function ownerOf(row: ExecSessionRow): string {
  return row.ownerId ?? row.createdBy;
}

/**
 * Permissions of a token for the session (DESIGN.md §4): the role's, with the owner rights —
 * interrupt, restart (`interrupt`) and `own` — for the session's owner alone, when the role may
 * run cells at all. Other participants watch and run; they cannot stop the owner's kernel.
 */
export function sessionPerms(
  role: keyof typeof SESSION_PERMS,
  isOwner: boolean,
): SessionPermission[] {
  const base = SESSION_PERMS[role].filter((p) => p !== 'interrupt') as SessionPermission[];
  return isOwner && base.includes('execute') ? [...base, 'interrupt', 'own'] : base;
}

/**
 * What the caller of `grant` may do in `session` (mirrors what the runtime and `handOff`
 * enforce): run with the right to run cells; interrupt/restart as the owner; hand off (and answer
 * requests for ownership) as the owner or a workspace owner; request ownership as anyone else
 * who may run. None of it in an archived workspace.
 */
export function sessionActions(grant: Grant, session: ExecSessionRow): SessionAction[] {
  if (grant.archived || !roleAllows(grant.role, 'notebook.run')) return [];
  const isOwner = ownerOf(session) === grant.actor.userId;
  const actions: SessionAction[] = ['session.run'];
  if (isOwner) actions.push('session.interrupt');
  if (isOwner || grant.role === 'owner') actions.push('session.handoff');
  if (!isOwner) actions.push('session.request_ownership');
  return actions;
}

/** Execution sessions (one per notebook × runtime) and the access tokens to attach to them. */
export class SessionService {
  constructor(
    private readonly db: Db,
    private readonly runtimes: RuntimeService,
    private readonly keys: ServerKeyService,
    private readonly issuer: string,
    private readonly accessTokenTtlS: number = ACCESS_TOKEN_TTL_S,
    private readonly audit?: AuditService,
  ) {}

  /**
   * Open the session for notebook+runtime, reusing an existing one. The runtime must be usable
   * in the notebook's workspace (404 `runtime.unknown_runtime` otherwise).
   */
  async open(grant: Grant, input: { notebookId: string; runtimeId: string }): Promise<ExecSession> {
    await this.runtimes.getUsableRow(input.runtimeId, grant.ancestry);
    // Viewers join a session someone opened, to watch it; starting one needs the right to run.
    if (!roleAllows(grant.role, 'notebook.run')) {
      const existing = await execSessionsRepository.find(
        this.db,
        input.notebookId,
        input.runtimeId,
      );
      if (existing) return presentExecSession(existing);
      throw new SpinError(
        'auth.permission_required',
        'no session is open for this notebook on this runtime, and your role may not start one',
      );
    }
    const row = await execSessionsRepository.getOrCreate(this.db, {
      sid: newId('ses'),
      notebookId: input.notebookId,
      runtimeId: input.runtimeId,
      createdBy: grant.actor.userId,
    });
    return presentExecSession(row);
  }

  /** The stored session, or 404 `session.not_found`. */
  async getRow(sid: string): Promise<ExecSessionRow> {
    const row = await execSessionsRepository.get(this.db, sid);
    if (!row) throw new SpinError('session.not_found', `session ${sid} not found`);
    return row;
  }

  /**
   * Mint the short-lived JWT a client presents to the runtime: aud = runtime, perms from the
   * caller's role (DESIGN.md §1 "Access tokens"). The session is the row the grant loaded.
   */
  async issueToken(grant: GrantFor<'session'>): Promise<AccessTokenResponse> {
    const { session } = grant;
    const runtime = await this.runtimes.getUsableRow(session.runtimeId, grant.ancestry);
    const key = this.keys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    await execSessionsRepository.touchParticipant(this.db, session.sid, grant.actor.userId);
    const token = await signAccessToken(
      {
        iss: this.issuer,
        aud: runtime.id,
        sub: grant.actor.userId,
        sid: session.sid,
        notebook: session.notebookId,
        role: grant.role,
        perms: sessionPerms(grant.role, ownerOf(session) === grant.actor.userId),
        ownerEpoch: session.ownerEpoch,
        ttlS: this.accessTokenTtlS,
      },
      key.privateKey,
      key.kid,
    );
    return {
      token,
      expiresAt: new Date((now + this.accessTokenTtlS) * 1000).toISOString(),
      runtime: presentRuntime(runtime),
    };
  }

  /** The session record: owner, owner epoch, participants (and, given a grant, its actions). */
  async record(sid: string, row?: ExecSessionRow, grant?: Grant): Promise<SessionRecord> {
    const session = row ?? (await this.getRow(sid));
    const ownerId = ownerOf(session);
    const [owner, participants, requests, mine] = await Promise.all([
      usersRepository.findById(this.db, ownerId),
      execSessionsRepository.participants(this.db, session.sid),
      grant ? ownershipRequestsRepository.live(this.db, session.sid, session.ownerEpoch) : [],
      grant ? ownershipRequestsRepository.newestOf(this.db, session.sid, grant.actor.userId) : null,
    ]);
    const present = (r: NamedOwnershipRequestRow) => presentOwnershipRequest(r, session.ownerEpoch);
    return {
      ...presentExecSession(session),
      ownerId,
      ownerEpoch: session.ownerEpoch,
      owner: { id: ownerId, name: owner?.name ?? '(deleted user)' },
      participants: await Promise.all(
        participants.map(async (p) => ({
          userId: p.userId,
          name: p.name,
          firstAttachedAt: p.firstAttachedAt.toISOString(),
          lastAttachedAt: p.lastAttachedAt.toISOString(),
          ...(grant ? { mayOwn: await this.mayRun(grant.workspaceId, p.userId) } : {}),
        })),
      ),
      ...(grant
        ? {
            allowedActions: sessionActions(grant, session),
            ownershipRequests: requests.map(present),
            myOwnershipRequest: mine && present(mine),
          }
        : {}),
    };
  }

  /** Whether `userId` may run cells in `workspaceId`, and so may be handed a session there. */
  private async mayRun(workspaceId: string, userId: string): Promise<boolean> {
    const user = await usersRepository.findById(this.db, userId);
    if (!user) return false;
    const role =
      user.orgRole === 'admin'
        ? ORG_ADMIN_ROLE
        : await workspacesRepository.roleOf(this.db, workspaceId, userId);
    return role !== null && SESSION_PERMS[role].some((p) => p === 'execute');
  }

  /**
   * Hand the session to `to` (issue 8 "handoff"): allowed to its owner, and to the workspace's
   * owners (and org admins, who act as owners) so a session whose owner left can be taken over.
   * The target must be able to run cells in the workspace. The owner epoch goes up by one, so the
   * runtime stops honouring the old owner's tokens for owner rights once a newer token reaches it.
   * `atEpoch` (an accepted request): only if the session is still at that owner epoch.
   */
  async handOff(grant: Grant, sid: string, to: string, atEpoch?: number): Promise<SessionRecord> {
    const session = await this.getRow(sid);
    if (atEpoch !== undefined && session.ownerEpoch !== atEpoch) {
      throw new SpinError('session.request_stale', 'the session changed hands since the request');
    }
    const from = ownerOf(session);
    if (from !== grant.actor.userId && grant.role !== 'owner') {
      throw new SpinError(
        'session.not_owner',
        'only the session owner or a workspace owner may hand the session off',
      );
    }
    if (!(await this.mayRun(grant.workspaceId, to))) {
      throw new SpinError(
        'session.handoff_target_invalid',
        'the session can only be handed to a member who may run cells in this workspace',
      );
    }
    if (to === from) return this.record(sid, session, grant);
    const updated = await execSessionsRepository.handOff(this.db, sid, session.ownerEpoch, to);
    if (!updated) {
      throw new SpinError('request.conflict', 'the session changed owner meanwhile; try again');
    }
    await this.audit?.append({
      actor: grant.actor.userId,
      workspaceId: grant.workspaceId,
      action: 'session.handoff',
      subject: sid,
      data: { from, to, ownerEpoch: updated.ownerEpoch },
    });
    return this.record(sid, updated, grant);
  }
}
