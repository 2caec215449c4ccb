import { OWNERSHIP_REQUEST_TTL_MS, SpinError, type SessionRecord } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';
import type { Grant } from '../policies/authorize.js';
import {
  ownershipRequestsRepository,
  type OwnershipRequestRow,
} from '../repositories/ownershipRequestsRepository.js';
import type { AuditService } from './auditService.js';
import { ownerOf, type SessionService } from './sessionService.js';
import type { ExecSessionRow } from '../repositories/execSessionsRepository.js';

/**
 * Requests for a session's ownership (issue 11 "request ownership"): a participant who may run
 * cells asks; the owner (or a workspace owner, who may hand the session off anyway) accepts —
 * the existing handoff, raising the owner epoch — or declines. Every step is audited.
 */
export class SessionOwnershipService {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    private readonly ttlMs: number = OWNERSHIP_REQUEST_TTL_MS,
  ) {}

  /**
   * Ask for the session (the route let only roles that may run cells through). One pending
   * request per requester: asking again while one waits answers with it, unchanged.
   */
  async request(grant: Grant, sid: string): Promise<SessionRecord> {
    const session = await this.sessions.getRow(sid);
    const me = grant.actor.userId;
    if (ownerOf(session) === me) {
      throw new SpinError('session.already_owner', 'you own this session already');
    }
    await ownershipRequestsRepository.expireLapsed(this.db, sid, me, session.ownerEpoch);
    const created = await ownershipRequestsRepository.insertPending(this.db, {
      id: newId('orq'),
      sid,
      requesterId: me,
      ownerEpoch: session.ownerEpoch,
      ttlMs: this.ttlMs,
    });
    if (created) {
      await this.audit.append({
        actor: me,
        workspaceId: grant.workspaceId,
        action: 'session.ownership_requested',
        subject: sid,
        data: {
          request: created.id,
          owner: ownerOf(session),
          ownerEpoch: session.ownerEpoch,
          expiresAt: created.expiresAt.toISOString(),
        },
      });
    }
    return this.sessions.record(sid, session, grant);
  }

  /** Accept a live request: hand the session to its requester (owner epoch + 1). */
  async accept(grant: Grant, sid: string, requestId: string): Promise<SessionRecord> {
    const { session, request } = await this.answerable(grant, sid, requestId);
    // the handoff is a compare-and-set on the epoch the request was made at
    const record = await this.sessions.handOff(grant, sid, request.requesterId, request.ownerEpoch);
    // The handoff raised the epoch; the request is marked at the epoch it was made at.
    const resolved = await ownershipRequestsRepository.resolve(
      this.db,
      request.id,
      request.ownerEpoch,
      'accepted',
      grant.actor.userId,
    );
    await this.audit.append({
      actor: grant.actor.userId,
      workspaceId: grant.workspaceId,
      action: 'session.ownership_request_accepted',
      subject: sid,
      data: {
        request: request.id,
        from: ownerOf(session),
        to: request.requesterId,
        ownerEpoch: record.ownerEpoch,
        ...(resolved ? {} : { note: 'answered concurrently' }),
      },
    });
    return this.sessions.record(sid, undefined, grant);
  }

  /** Decline a live request: the owner stays, the requester sees the answer. */
  async decline(grant: Grant, sid: string, requestId: string): Promise<SessionRecord> {
    const { session, request } = await this.answerable(grant, sid, requestId);
    const resolved = await ownershipRequestsRepository.resolve(
      this.db,
      request.id,
      request.ownerEpoch,
      'declined',
      grant.actor.userId,
    );
    if (!resolved) throw stale('it was answered or expired meanwhile');
    await this.audit.append({
      actor: grant.actor.userId,
      workspaceId: grant.workspaceId,
      action: 'session.ownership_request_declined',
      subject: sid,
      data: { request: request.id, owner: ownerOf(session), requester: request.requesterId },
    });
    return this.sessions.record(sid, session, grant);
  }

  /**
   * The session and request an answer is about, after the checks every answer needs: the caller
   * may hand the session off; the request is this session's, pending, unexpired and made at the
   * session's current owner epoch.
   */
  private async answerable(
    grant: Grant,
    sid: string,
    requestId: string,
  ): Promise<{ session: ExecSessionRow; request: OwnershipRequestRow }> {
    const session = await this.sessions.getRow(sid);
    if (ownerOf(session) !== grant.actor.userId && grant.role !== 'owner') {
      throw new SpinError(
        'session.not_owner',
        'only the session owner or a workspace owner may answer a request for it',
      );
    }
    const request = await ownershipRequestsRepository.get(this.db, sid, requestId);
    if (!request) {
      throw new SpinError('session.request_not_found', `no request ${requestId} in this session`);
    }
    if (request.status !== 'pending') throw stale(`it was ${request.status} already`);
    if (request.expiresAt.getTime() <= Date.now()) throw stale('it expired');
    if (request.ownerEpoch !== session.ownerEpoch) {
      throw stale('the session changed hands since it was made');
    }
    return { session, request };
  }
}

function stale(why: string): SpinError {
  return new SpinError('session.request_stale', `this request can no longer be answered: ${why}`);
}
