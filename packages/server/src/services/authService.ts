import { createHash, randomBytes } from 'node:crypto';
import { SpinError, type SessionInfo, type User, type WorkspaceRole } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';
import { actorId, type UserActor } from '../policies/actor.js';
import { EpochCache } from '../policies/authzCache.js';
import { auditRepository } from '../repositories/auditRepository.js';
import { authSessionsRepository } from '../repositories/authSessionsRepository.js';
import { usersRepository, type UserRow } from '../repositories/usersRepository.js';
import { workspacesRepository } from '../repositories/workspacesRepository.js';
import {
  dummyPasswordHash,
  hashPassword,
  needsRehash,
  verifyPassword,
} from '../security/password.js';
import type { AuditService } from './auditService.js';
import type { AuthRateLimiter } from '../security/authRateLimiter.js';

/** Lifetime of a browser session. */
export const SESSION_TTL_MS = 14 * 24 * 3600_000;

/** A freshly created browser session: the cookie token is only ever in this object. */
export interface NewSession {
  info: SessionInfo;
  cookieToken: string;
  expiresAt: Date;
}

/** The session resolved from a cookie. */
export interface ResolvedSession {
  actor: UserActor;
  sessionId: string;
  csrfToken: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Presenter: a user row as the API shows it. */
export function presentUser(row: UserRow): User {
  return { id: row.id, email: row.email, name: row.name, orgRole: row.orgRole };
}

/** A resolved session as this process caches it (by the cookie token's hash). */
interface CachedSession {
  session: ResolvedSession;
  expiresAt: Date;
}

/** Sign-up (first user only), password login, cookie sessions with CSRF tokens. */
export class AuthService {
  /**
   * Resolved sessions by cookie hash, stamped with the authorization epoch they were read under
   * (policies/authzCache.ts): {@link resolveUnverified} serves them without a read.
   */
  private readonly sessions = new EpochCache<CachedSession>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly limits: AuthRateLimiter,
  ) {}

  /** True once any user exists (signup then closes). */
  async hasAnyUser(): Promise<boolean> {
    return (await usersRepository.count(this.db)) > 0;
  }

  /**
   * Create the first user: org admin and owner of the default workspace (the oldest one — e.g.
   * where `spin start` registered its runtime — or a new "Default"). Afterwards 403
   * `auth.signup_closed`.
   */
  async signup(
    input: { email: string; password: string; name: string },
    client: string,
  ): Promise<NewSession> {
    await this.limits.spend('signupClient', client);
    if (await this.hasAnyUser()) {
      throw new SpinError(
        'auth.signup_closed',
        'sign-up is closed; ask a workspace owner for an invitation link',
      );
    }
    const passwordHash = await hashPassword(input.password);
    const user = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      // The audit lock also serialises concurrent sign-ups: only one can be first.
      await auditRepository.lockForAppend(tx);
      if ((await usersRepository.count(tx)) > 0) {
        throw new SpinError(
          'auth.signup_closed',
          'sign-up is closed; ask a workspace owner for an invitation link',
        );
      }
      const created = await usersRepository.insert(tx, {
        id: newId('usr'),
        email: input.email,
        name: input.name,
        passwordHash,
        orgRole: 'admin',
      });
      const existing = await workspacesRepository.oldest(tx);
      const workspaceId = existing?.id ?? newId('ws');
      if (!existing) await workspacesRepository.insert(tx, { id: workspaceId, name: 'Default' });
      await workspacesRepository.setMember(tx, workspaceId, created.id, 'owner');
      await this.audit.append(
        {
          actor: created.id,
          action: 'user.signup',
          subject: created.id,
          data: { email: created.email, orgRole: 'admin', workspaceId },
        },
        tx,
      );
      return created;
    });
    return this.openSession(user);
  }

  /**
   * Create a user directly (invitations, tests, CLI) and add them to a workspace with a role.
   */
  async createUser(input: {
    email: string;
    password: string;
    name: string;
    orgRole?: 'admin' | 'member';
    workspaceId: string;
    role: WorkspaceRole;
  }): Promise<User> {
    const passwordHash = await hashPassword(input.password);
    const row = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const created = await usersRepository.insert(tx, {
        id: newId('usr'),
        email: input.email.trim().toLowerCase(),
        name: input.name,
        passwordHash,
        orgRole: input.orgRole ?? 'member',
      });
      await workspacesRepository.setMember(tx, input.workspaceId, created.id, input.role);
      return created;
    });
    return presentUser(row);
  }

  /**
   * Password login from `client` (the caller's address); wrong email and wrong password are the
   * same 401. Failures are counted per account and per client in the database (see
   * {@link AuthRateLimiter}); past the budget even the right password gets 429. A hash made
   * with weaker parameters than today's is replaced on success.
   */
  async login(input: { email: string; password: string }, client: string): Promise<NewSession> {
    // Spend before checking the password: the upsert is atomic, so a burst of parallel guesses
    // cannot all slip in under the budget. A success gives the points back.
    await this.limits.spend('loginAccount', input.email);
    await this.limits.spend('loginClient', client);
    const user = await usersRepository.findByEmail(this.db, input.email);
    const ok = await verifyPassword(
      input.password,
      user?.passwordHash ?? (await dummyPasswordHash()),
    );
    if (!user || !ok) {
      // Failed logins are audited (org-level, admins read them): the address tried, never the
      // password; the actor is the account when it exists.
      await this.audit.append({
        actor: user?.id ?? null,
        action: 'auth.login_failed',
        subject: user?.id ?? null,
        data: { email: input.email.trim().toLowerCase(), client },
      });
      throw new SpinError('auth.invalid_credentials', 'email or password is wrong');
    }
    await this.limits.reset('loginAccount', input.email);
    await this.limits.refund('loginClient', client);
    if (needsRehash(user.passwordHash)) {
      const rehashed = await hashPassword(input.password);
      // compare-and-set: a password changed meanwhile is not overwritten with the old one
      await usersRepository.replacePasswordHash(this.db, user.id, user.passwordHash, rehashed);
    }
    await this.audit.append({ actor: user.id, action: 'auth.login', subject: user.id, data: {} });
    return this.openSession(user);
  }

  /** Resolve a cookie token to its live session (one read), or null. */
  async resolve(cookieToken: string | undefined): Promise<ResolvedSession | null> {
    if (!cookieToken || cookieToken.length > 256) return null;
    const id = sha256(cookieToken);
    const found = await authSessionsRepository.findLive(this.db, id, new Date());
    if (!found) {
      this.sessions.delete(id);
      return null;
    }
    const u = found.user;
    const session: ResolvedSession = {
      actor: { kind: 'user', userId: u.id, email: u.email, name: u.name, orgRole: u.orgRole },
      sessionId: found.id,
      csrfToken: found.csrfToken,
    };
    this.sessions.set(id, found.epoch, { session, expiresAt: found.expiresAt });
    return session;
  }

  /**
   * The session of a cookie token from this process's cache, without a read: its actor is
   * marked `unverified`, and only a route whose every decision goes through the authorizer may
   * use it — the authorizer confirms it against the epoch read with the resource, or re-reads
   * it (policies/authorize.ts). Falls back to {@link resolve} when nothing is cached.
   */
  async resolveUnverified(cookieToken: string | undefined): Promise<ResolvedSession | null> {
    if (!cookieToken || cookieToken.length > 256) return null;
    const hit = this.sessions.peek(sha256(cookieToken));
    if (!hit || hit.value.expiresAt.getTime() <= Date.now()) return this.resolve(cookieToken);
    const { session } = hit.value;
    return {
      ...session,
      actor: {
        ...session.actor,
        unverified: {
          epoch: hit.epoch,
          recheck: async () => (await this.resolve(cookieToken))?.actor ?? null,
        },
      },
    };
  }

  /** `GET /auth/me`. */
  async me(session: ResolvedSession): Promise<SessionInfo> {
    const user = await usersRepository.findById(this.db, session.actor.userId);
    if (!user) throw new SpinError('auth.unauthenticated', 'sign in first');
    return { user: presentUser(user), csrfToken: session.csrfToken };
  }

  /**
   * Change the signed-in user's password. The current password is required (a stolen session
   * alone cannot lock the owner out); wrong ones are counted like failed logins. Every other
   * session of the user ends.
   */
  async changePassword(
    session: ResolvedSession,
    input: { currentPassword: string; newPassword: string },
  ): Promise<void> {
    const userId = session.actor.userId;
    await this.limits.spend('passwordUser', userId); // before verifying: see login()
    const user = await usersRepository.findById(this.db, userId);
    if (!user) throw new SpinError('auth.unauthenticated', 'sign in first');
    if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
      throw new SpinError('auth.invalid_credentials', 'the current password is wrong');
    }
    const passwordHash = await hashPassword(input.newPassword);
    await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      await usersRepository.replacePasswordHash(tx, userId, user.passwordHash, passwordHash);
      await authSessionsRepository.deleteOthersOfUser(tx, userId, session.sessionId);
      await this.audit.append(
        { actor: userId, action: 'auth.password_changed', subject: userId, data: {} },
        tx,
      );
    });
    await this.limits.reset('passwordUser', userId);
  }

  async logout(session: ResolvedSession): Promise<void> {
    await authSessionsRepository.delete(this.db, session.sessionId);
    await this.audit.append({
      actor: actorId(session.actor),
      action: 'auth.logout',
      subject: session.actor.userId,
      data: {},
    });
  }

  /** Open a browser session for `user` (sign-up, login, invitation sign-up, single sign-on). */
  async openSession(user: UserRow): Promise<NewSession> {
    const cookieToken = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await authSessionsRepository.insert(this.db, {
      id: sha256(cookieToken),
      userId: user.id,
      csrfToken,
      expiresAt,
    });
    return { info: { user: presentUser(user), csrfToken }, cookieToken, expiresAt };
  }
}
