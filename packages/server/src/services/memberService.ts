import { createHash, randomBytes } from 'node:crypto';
import {
  DEFAULT_INVITATION_TTL_HOURS,
  SpinError,
  type AcceptedInvitation,
  type CreateInvitationRequest,
  type CreatedInvitation,
  type Invitation,
  type InvitationPreview,
  type InvitationSignupRequest,
  type Member,
  type WorkspaceRole,
} from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';
import type { UserActor } from '../policies/actor.js';
import type { Grant } from '../policies/authorize.js';
import { auditRepository } from '../repositories/auditRepository.js';
import {
  invitationsRepository,
  type InvitationRow,
} from '../repositories/invitationsRepository.js';
import { membersRepository, type MemberRow } from '../repositories/membersRepository.js';
import { usersRepository, type UserRow } from '../repositories/usersRepository.js';
import type { AuthRateLimiter } from '../security/authRateLimiter.js';
import { hashPassword } from '../security/password.js';
import type { AuditService } from './auditService.js';

/** Refusals that say the token itself was bad (counted against the client's budget). */
const BAD_TOKEN = new Set<string>([
  'invitation.not_found',
  'invitation.used',
  'invitation.expired',
  'invitation.revoked',
]);

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Presenter: a member as the API shows it. */
export function presentMember(row: MemberRow): Member {
  return { ...row, joinedAt: row.joinedAt.toISOString() };
}

/** Presenter: a pending invitation (never its token or hash). */
export function presentInvitation(row: InvitationRow): Invitation {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    role: row.role,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
  };
}

/**
 * Why an invitation row cannot be accepted at `now`, or null when it can. A token whose hash
 * matches nothing (forged, mistyped) is simply unknown.
 */
function refusal(row: InvitationRow | null, now: Date): SpinError | null {
  if (!row) return new SpinError('invitation.not_found', 'this invitation link is not valid');
  if (row.acceptedAt) {
    return new SpinError('invitation.used', 'this invitation has already been used');
  }
  if (row.revokedAt) return new SpinError('invitation.revoked', 'this invitation was revoked');
  if (row.expiresAt.getTime() <= now.getTime()) {
    return new SpinError('invitation.expired', 'this invitation has expired; ask for a new one');
  }
  return null;
}

/**
 * Members of a workspace and invitations by link. Authorization happens in routes (the grant
 * names the workspace); these are the rules: single-use, expiring, revocable invitations, and
 * never a workspace without an owner. Every change is audited in the same transaction.
 */
export class MemberService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly limits: AuthRateLimiter,
    /** Base of invitation links (the server's public URL). */
    private readonly publicUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(grant: Grant): Promise<Member[]> {
    return (await membersRepository.list(this.db, grant.workspaceId)).map(presentMember);
  }

  /** Change a member's role; demoting the last owner is refused (409 `member.last_owner`). */
  async changeRole(grant: Grant, userId: string, role: WorkspaceRole): Promise<Member> {
    return this.inTransaction(async (tx) => {
      const member = await this.memberOrThrow(tx, grant.workspaceId, userId);
      if (member.role === role) return presentMember(member);
      if (member.role === 'owner') await this.keepAnOwner(tx, grant.workspaceId);
      await membersRepository.setRole(tx, grant.workspaceId, userId, role);
      await this.audit.append(
        {
          actor: grant.actor.userId,
          workspaceId: grant.workspaceId,
          action: 'member.role_changed',
          subject: userId,
          data: { from: member.role, to: role },
        },
        tx,
      );
      return presentMember({ ...member, role });
    });
  }

  /** Remove a member; removing the last owner is refused (409 `member.last_owner`). */
  async remove(grant: Grant, userId: string): Promise<void> {
    await this.inTransaction(async (tx) => {
      const member = await this.memberOrThrow(tx, grant.workspaceId, userId);
      if (member.role === 'owner') await this.keepAnOwner(tx, grant.workspaceId);
      await membersRepository.remove(tx, grant.workspaceId, userId);
      await this.audit.append(
        {
          actor: grant.actor.userId,
          workspaceId: grant.workspaceId,
          action: 'member.removed',
          subject: userId,
          data: { role: member.role },
        },
        tx,
      );
    });
  }

  /** Create an invitation; the token is returned once and only its hash is stored. */
  async createInvitation(grant: Grant, input: CreateInvitationRequest): Promise<CreatedInvitation> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const hours = input.expiresInHours ?? DEFAULT_INVITATION_TTL_HOURS;
    const row = await this.inTransaction(async (tx) => {
      const created = await invitationsRepository.insert(tx, {
        id: newId('inv'),
        tokenHash: sha256(token),
        workspaceId: grant.workspaceId,
        role: input.role,
        createdBy: grant.actor.userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + hours * 3600_000),
      });
      await this.audit.append(
        {
          actor: grant.actor.userId,
          workspaceId: grant.workspaceId,
          action: 'invitation.created',
          subject: created.id,
          data: { role: created.role, expiresAt: created.expiresAt.toISOString() },
        },
        tx,
      );
      return created;
    });
    const url = `${this.publicUrl.replace(/\/+$/, '')}/invite/${token}`;
    return { invitation: presentInvitation(row), token, url };
  }

  async listInvitations(grant: Grant): Promise<Invitation[]> {
    const rows = await invitationsRepository.listPending(this.db, grant.workspaceId, this.now());
    return rows.map(presentInvitation);
  }

  /** Revoke a pending invitation of the grant's workspace (404 when there is none). */
  async revokeInvitation(grant: Grant, invitationId: string): Promise<void> {
    await this.inTransaction(async (tx) => {
      const row = await invitationsRepository.revoke(
        tx,
        grant.workspaceId,
        invitationId,
        this.now(),
      );
      if (!row) throw new SpinError('invitation.not_found', 'no pending invitation with that id');
      await this.audit.append(
        {
          actor: grant.actor.userId,
          workspaceId: grant.workspaceId,
          action: 'invitation.revoked',
          subject: row.id,
          data: { role: row.role },
        },
        tx,
      );
    });
  }

  /** What a link's holder may see before accepting; refused like an accept would be. */
  async preview(token: string, client: string): Promise<InvitationPreview> {
    return this.guarded(client, () => this.lookup(token));
  }

  private async lookup(token: string): Promise<InvitationPreview> {
    const row = await invitationsRepository.findByHash(this.db, sha256(token));
    const refused = refusal(row, this.now());
    if (refused || !row) throw refused;
    return {
      workspaceId: row.workspaceId,
      workspaceName: (await membersRepository.workspaceName(this.db, row.workspaceId)) ?? '',
      role: row.role,
      invitedBy: await invitationsRepository.inviterName(this.db, row.createdBy),
      expiresAt: row.expiresAt.toISOString(),
    };
  }

  /** A signed-in user accepts an invitation: they join its workspace with its role. */
  async accept(actor: UserActor, token: string, client: string): Promise<AcceptedInvitation> {
    return this.guarded(client, () =>
      this.inTransaction((tx) => this.claim(tx, actor.userId, token)),
    );
  }

  /**
   * Create an account through an invitation and accept it, in one transaction: an unusable
   * invitation creates no user. Open sign-up being closed does not matter here.
   */
  async signup(
    input: InvitationSignupRequest,
    client: string,
  ): Promise<{ user: UserRow; accepted: AcceptedInvitation }> {
    await this.limits.spend('signupClient', client);
    return this.guarded(client, () => this.createAndClaim(input));
  }

  private async createAndClaim(
    input: InvitationSignupRequest,
  ): Promise<{ user: UserRow; accepted: AcceptedInvitation }> {
    const passwordHash = await hashPassword(input.password);
    return this.inTransaction(async (tx) => {
      const refused = refusal(
        await invitationsRepository.findByHash(tx, sha256(input.token)),
        this.now(),
      );
      if (refused) throw refused;
      if (await usersRepository.findByEmail(tx, input.email)) {
        throw new SpinError(
          'auth.email_taken',
          'an account with this email exists; sign in to accept the invitation',
        );
      }
      const user = await usersRepository.insert(tx, {
        id: newId('usr'),
        email: input.email,
        name: input.name,
        passwordHash,
        orgRole: 'member',
      });
      await this.audit.append(
        {
          actor: user.id,
          action: 'user.signup',
          subject: user.id,
          data: { email: user.email, orgRole: 'member', via: 'invitation' },
        },
        tx,
      );
      return { user, accepted: await this.claim(tx, user.id, input.token) };
    });
  }

  /** Use the invitation for `userId` (inside a transaction holding the audit lock). */
  private async claim(tx: Db, userId: string, token: string): Promise<AcceptedInvitation> {
    const tokenHash = sha256(token);
    const now = this.now();
    const row = await invitationsRepository.findByHash(tx, tokenHash);
    const refused = refusal(row, now);
    if (refused || !row) throw refused;
    if (await membersRepository.get(tx, row.workspaceId, userId)) {
      throw new SpinError(
        'invitation.already_member',
        'you are already a member of this workspace; the invitation was left unused',
      );
    }
    const claimed = await invitationsRepository.claim(tx, tokenHash, userId, now);
    if (!claimed) throw new SpinError('invitation.used', 'this invitation has already been used');
    await membersRepository.add(tx, claimed.workspaceId, userId, claimed.role);
    await this.audit.append(
      {
        actor: userId,
        workspaceId: claimed.workspaceId,
        action: 'invitation.accepted',
        subject: claimed.id,
        data: { role: claimed.role, invitedBy: claimed.createdBy },
      },
      tx,
    );
    const workspaceName = (await membersRepository.workspaceName(tx, claimed.workspaceId)) ?? '';
    return { workspaceId: claimed.workspaceId, workspaceName, role: claimed.role };
  }

  /**
   * Run an invitation use from `client`: refused once the client has spent its budget of bad
   * tokens, and each refused token (unknown, used, expired, revoked) spends one — guessing
   * links is slow, using a good one costs nothing.
   */
  private async guarded<T>(client: string, fn: () => Promise<T>): Promise<T> {
    await this.limits.check('invitationClient', client);
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SpinError && BAD_TOKEN.has(err.code)) {
        await this.limits.spend('invitationClient', client);
      }
      throw err;
    }
  }

  private async memberOrThrow(tx: Db, workspaceId: string, userId: string): Promise<MemberRow> {
    const member = await membersRepository.get(tx, workspaceId, userId);
    if (!member) throw new SpinError('member.not_found', 'no such member in this workspace');
    return member;
  }

  /** Refuse when the workspace has only one owner left (counted under the audit lock). */
  private async keepAnOwner(tx: Db, workspaceId: string): Promise<void> {
    if ((await membersRepository.countOwners(tx, workspaceId)) <= 1) {
      throw new SpinError(
        'member.last_owner',
        'a workspace needs at least one owner; make someone else owner first',
      );
    }
  }

  /**
   * Run `fn` in a transaction that first takes the audit append lock: membership changes are
   * serialised with each other (so two demotions cannot leave no owner) and with their entry.
   */
  private inTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      await auditRepository.lockForAppend(tx);
      return fn(tx);
    });
  }
}
