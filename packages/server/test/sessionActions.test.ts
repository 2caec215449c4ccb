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
 * `SessionRecord.allowedActions` (issue 11 "Sessions"): what the session panel may offer each
 * caller, matching what the runtime and the handoff route enforce.
 */
describe.each(dbKinds)('session allowed actions (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let sid: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    const rt = await registerRuntime(admin);
    const nb = await createNotebook(admin);
    sid = (await openSession(admin, nb.id, rt.id)).sid;
  });
  afterAll(() => t.close());

  const actionsOf = async (client: TestClient) => {
    const res = await client.request('GET', `/api/v1/sessions/${sid}`);
    expect(res.statusCode).toBe(200);
    return res.json().allowedActions as string[];
  };

  it('follows role and ownership, and moves with a handoff', async () => {
    const ws = await defaultWorkspaceId(admin);
    const [editor, viewer, other] = await Promise.all([
      addMember(t, 'editor', ws),
      addMember(t, 'viewer', ws),
      addMember(t, 'editor', ws),
    ]);
    expect(await actionsOf(admin)).toEqual(['session.run', 'session.interrupt', 'session.handoff']);
    expect(await actionsOf(editor)).toEqual(['session.run', 'session.request_ownership']);
    expect(await actionsOf(viewer)).toEqual([]);

    // what the record withholds is refused: an editor who does not own it cannot hand it off
    const refused = await editor.request('POST', `/api/v1/sessions/${sid}/handoff`, {
      to: editor.user.id,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('session.not_owner');

    // the owner hands it to the editor: the handoff's answer carries the caller's new actions
    const handed = await admin.request('POST', `/api/v1/sessions/${sid}/handoff`, {
      to: editor.user.id,
    });
    expect(handed.statusCode).toBe(200);
    expect(handed.json().ownerId).toBe(editor.user.id);
    // the org admin (a workspace owner) may still take it over, but not interrupt
    expect(handed.json().allowedActions).toEqual([
      'session.run',
      'session.handoff',
      'session.request_ownership',
    ]);
    expect(await actionsOf(editor)).toEqual([
      'session.run',
      'session.interrupt',
      'session.handoff',
    ]);
    expect(await actionsOf(other)).toEqual(['session.run', 'session.request_ownership']);
    expect(await actionsOf(viewer)).toEqual([]);
  });

  it('says which participants may be handed the session; a viewer may not', async () => {
    const ws = await defaultWorkspaceId(admin);
    const [editor, viewer] = await Promise.all([
      addMember(t, 'editor', ws),
      addMember(t, 'viewer', ws),
    ]);
    for (const c of [editor, viewer]) {
      expect((await c.request('POST', `/api/v1/sessions/${sid}/token`)).statusCode).toBe(200);
    }
    const record = (await admin.request('GET', `/api/v1/sessions/${sid}`)).json();
    const mayOwn = (id: string) =>
      record.participants.find((p: { userId: string }) => p.userId === id)?.mayOwn;
    expect(mayOwn(editor.user.id)).toBe(true);
    expect(mayOwn(viewer.user.id)).toBe(false);
    // and the handoff refuses the one the record marks (the org admin may hand off any session)
    const refused = await admin.request('POST', `/api/v1/sessions/${sid}/handoff`, {
      to: viewer.user.id,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('session.handoff_target_invalid');
  });
});
