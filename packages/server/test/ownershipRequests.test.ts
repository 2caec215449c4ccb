import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createNotebook,
  dbKinds,
  defaultWorkspaceId,
  openSession,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

/**
 * Requests for a session's ownership (issue 11 "request ownership"): a participant who may run
 * asks, the owner accepts (a handoff to them, at a higher owner epoch) or declines; viewers may
 * not ask, only the owner (or a workspace owner) may answer, and only a live request.
 */
describe.each(dbKinds)('session ownership requests (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let ws: string;
  let rtId: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
    rtId = (await registerRuntime(admin)).id;
  });
  afterAll(() => t.close());

  /** A new notebook's session, opened (and so owned) by `owner`. */
  const newSession = async (owner: TestClient) =>
    (await openSession(owner, (await createNotebook(admin)).id, rtId)).sid;
  const record = async (c: TestClient, sid: string) => {
    const res = await c.request('GET', `/api/v1/sessions/${sid}`);
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const ask = (c: TestClient, sid: string) =>
    c.request('POST', `/api/v1/sessions/${sid}/ownership-requests`);
  const answer = (c: TestClient, sid: string, id: string, verb: 'accept' | 'decline') =>
    c.request('POST', `/api/v1/sessions/${sid}/ownership-requests/${id}/${verb}`);
  const rows = async () =>
    (
      (await t.server.services.database.db.execute(
        sql`select id, sid, requester_id, status, owner_epoch, resolved_by
            from session_ownership_requests order by created_at, id`,
      )) as unknown as { rows: Record<string, unknown>[] }
    ).rows;
  const auditOf = async (sid: string) =>
    (
      (await admin.request('GET', '/api/v1/audit?limit=1000')).json().entries as {
        action: string;
        actor: string;
        subject: string;
        data: Record<string, unknown>;
      }[]
    ).filter((e) => e.subject === sid);

  it('refuses a viewer and the owner, changing nothing; a runner asks once', async () => {
    const [editor, viewer] = await Promise.all([
      addMember(t, 'editor', ws),
      addMember(t, 'viewer', ws),
    ]);
    const sid = await newSession(admin);
    const before = await rows();

    const refused = await ask(viewer, sid);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('auth.permission_required');
    expect((await record(viewer, sid)).allowedActions).toEqual([]);
    const mine = await ask(admin, sid);
    expect(mine.statusCode).toBe(409);
    expect(mine.json().error.code).toBe('session.already_owner');
    expect(await rows()).toEqual(before);
    expect((await auditOf(sid)).map((e) => e.action)).toEqual([]);

    expect((await record(editor, sid)).allowedActions).toEqual([
      'session.run',
      'session.request_ownership',
    ]);
    const asked = await ask(editor, sid);
    expect(asked.statusCode).toBe(200);
    const request = asked.json().myOwnershipRequest;
    expect(request).toMatchObject({ requesterId: editor.user.id, status: 'pending' });
    expect(Date.parse(request.expiresAt) - Date.parse(request.requestedAt)).toBe(10 * 60_000);
    // asking again while it waits answers with the same request
    expect((await ask(editor, sid)).json().myOwnershipRequest.id).toBe(request.id);
    // the owner (and anyone who looks) sees one pending request
    const seen = await record(admin, sid);
    expect(seen.ownershipRequests.map((r: { id: string }) => r.id)).toEqual([request.id]);
    expect(seen.ownerId).toBe(admin.user.id);
    const audit = await auditOf(sid);
    expect(audit.map((e) => [e.action, e.actor])).toEqual([
      ['session.ownership_requested', editor.user.id],
    ]);
    expect(audit[0]!.data).toMatchObject({ request: request.id, owner: admin.user.id });
  });

  it('lets only the owner answer; a decline keeps the owner and tells the requester', async () => {
    const [owner, editor, other] = await Promise.all([
      addMember(t, 'editor', ws),
      addMember(t, 'editor', ws),
      addMember(t, 'agent', ws),
    ]);
    const sid = await newSession(owner);
    const id = (await ask(editor, sid)).json().myOwnershipRequest.id;
    const before = await rows();

    const notOwner = await answer(other, sid, id, 'accept');
    expect(notOwner.statusCode).toBe(403);
    expect(notOwner.json().error.code).toBe('session.not_owner');
    expect((await answer(editor, sid, id, 'accept')).json().error.code).toBe('session.not_owner');
    const unknown = await answer(owner, sid, 'orq_nosuchrequest', 'decline');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('session.request_not_found');
    expect(await rows()).toEqual(before);

    const declined = await answer(owner, sid, id, 'decline');
    expect(declined.statusCode).toBe(200);
    expect(declined.json()).toMatchObject({ ownerId: owner.user.id, ownerEpoch: 0 });
    expect(declined.json().ownershipRequests).toEqual([]);
    const theirs = await record(editor, sid);
    expect(theirs.ownerId).toBe(owner.user.id);
    expect(theirs.myOwnershipRequest).toMatchObject({
      id,
      status: 'declined',
      resolvedByName: 'editor',
    });
    // a declined request cannot be accepted afterwards
    const late = await answer(owner, sid, id, 'accept');
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('session.request_stale');
    expect((await record(owner, sid)).ownerId).toBe(owner.user.id);
    expect((await auditOf(sid)).map((e) => e.action)).toEqual([
      'session.ownership_requested',
      'session.ownership_request_declined',
    ]);
  });

  it('accept hands the session to the requester at a higher owner epoch', async () => {
    const editor = await addMember(t, 'editor', ws);
    const sid = await newSession(admin);
    const before = await record(admin, sid);
    const id = (await ask(editor, sid)).json().myOwnershipRequest.id;

    const accepted = await answer(admin, sid, id, 'accept');
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().ownerId).toBe(editor.user.id);
    expect(accepted.json().ownerEpoch).toBe(before.ownerEpoch + 1);
    const theirs = await record(editor, sid);
    expect(theirs.allowedActions).toEqual(['session.run', 'session.interrupt', 'session.handoff']);
    expect(theirs.myOwnershipRequest).toMatchObject({ id, status: 'accepted' });
    // their access token now carries the owner rights
    const token = (await editor.request('POST', `/api/v1/sessions/${sid}/token`)).json().token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ ownerEpoch: before.ownerEpoch + 1 });
    expect(claims.perms).toEqual(expect.arrayContaining(['interrupt', 'own']));
    const audit = await auditOf(sid);
    expect(audit.map((e) => e.action)).toEqual([
      'session.ownership_requested',
      'session.handoff',
      'session.ownership_request_accepted',
    ]);
    expect(audit[2]!.data).toMatchObject({ from: admin.user.id, to: editor.user.id });
    // accepting twice is refused
    expect((await answer(editor, sid, id, 'accept')).json().error.code).toBe(
      'session.request_stale',
    );
  });

  it('an expired request, or one from before another handoff, cannot be accepted', async () => {
    const [editor, agent, third] = await Promise.all([
      addMember(t, 'editor', ws),
      addMember(t, 'agent', ws),
      addMember(t, 'editor', ws),
    ]);
    const sid = await newSession(admin);
    const expiring = (await ask(editor, sid)).json().myOwnershipRequest.id;
    const overtaken = (await ask(agent, sid)).json().myOwnershipRequest.id;
    await t.server.services.database.db.execute(
      sql`update session_ownership_requests set expires_at = now() - interval '1 second'
          where id = ${expiring}`,
    );
    const expired = await answer(admin, sid, expiring, 'accept');
    expect(expired.statusCode).toBe(409);
    expect(expired.json().error.code).toBe('session.request_stale');
    expect((await record(editor, sid)).myOwnershipRequest.status).toBe('expired');
    expect((await record(admin, sid)).ownershipRequests.map((r: { id: string }) => r.id)).toEqual([
      overtaken,
    ]);

    // the session changes hands another way: the agent's request is overtaken
    const handed = await admin.request('POST', `/api/v1/sessions/${sid}/handoff`, {
      to: third.user.id,
    });
    expect(handed.json().ownershipRequests).toEqual([]);
    expect((await record(agent, sid)).myOwnershipRequest.status).toBe('superseded');
    for (const who of [third, admin]) {
      const res = await answer(who, sid, overtaken, 'accept');
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('session.request_stale');
    }
    expect((await record(admin, sid)).ownerId).toBe(third.user.id);

    // the requester may ask again: a new request, at the new epoch
    const again = (await ask(editor, sid)).json().myOwnershipRequest;
    expect(again).toMatchObject({ status: 'pending' });
    expect(again.id).not.toBe(expiring);
    expect((await answer(third, sid, again.id, 'accept')).json().ownerId).toBe(editor.user.id);
  });
});
