import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  anon,
  clientFrom,
  createNotebook,
  createWorkspace,
  dbKinds,
  defaultWorkspaceId,
  logIn,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

interface Created {
  invitation: { id: string; role: string; expiresAt: string };
  token: string;
  url: string;
}

describe.each(dbKinds)('members and invitations (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let ws: string;
  let other: string;
  const rows = async (q: ReturnType<typeof sql>) =>
    ((await t.server.services.database.db.execute(q)) as unknown as { rows: unknown[] }).rows;
  /** Everything an invitation could change: memberships, users, invitation rows. */
  const snapshot = async () => ({
    members: await rows(
      sql`select workspace_id, user_id, role from workspace_members order by workspace_id, user_id`,
    ),
    users: await rows(sql`select id, email, org_role from users order by id`),
    invitations: await rows(
      sql`select id, accepted_at, accepted_by, revoked_at from invitations order by id`,
    ),
  });
  const auditActions = async () =>
    (
      (await rows(sql`select action, subject, workspace_id, data from audit_log order by seq`)) as {
        action: string;
        subject: string;
        workspace_id: string | null;
        data: Record<string, unknown>;
      }[]
    ).filter((e) => /^(invitation|member)\./.test(e.action));
  const invite = async (role: string, workspaceId = ws, by: TestClient = admin) => {
    const res = await by.request('POST', `/api/v1/workspaces/${workspaceId}/invitations`, {
      role,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Created;
  };
  let n = 0;
  const signupVia = (token: string, email = `new${++n}@example.com`) =>
    anon(t, 'POST', '/api/v1/invitations/signup', {
      token,
      email,
      password: 'a long enough password',
      name: `New ${n}`,
    });

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
    other = await createWorkspace(t, 'Payments');
  });
  afterAll(() => t.close());

  it('creates a link with a random token, stores only its hash, and lists it as pending', async () => {
    const created = await invite('viewer');
    expect(created.url).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
    expect(created.url.endsWith(created.token)).toBe(true);
    const expires = Date.parse(created.invitation.expiresAt) - Date.now();
    expect(Math.round(expires / 3600_000)).toBe(7 * 24); // default: 7 days

    const stored = (
      await rows(sql`select * from invitations where id = ${created.invitation.id}`)
    )[0];
    expect(JSON.stringify(stored)).not.toContain(created.token);

    // opening the link (the web UI's accept page) does not write the token to the logs
    await anon(t, 'GET', `/invite/${created.token}`);
    expect(t.logs.join('')).toContain('/invite/[redacted]');
    expect(t.logs.join('')).not.toContain(created.token);

    const pending = await admin.request('GET', `/api/v1/workspaces/${ws}/invitations`);
    expect(pending.json()).toEqual([
      expect.objectContaining({ id: created.invitation.id, role: 'viewer' }),
    ]);
    expect(pending.body).not.toContain(created.token);
  });

  it('lets a new user sign up through the link while open sign-up is closed', async () => {
    expect((await anon(t, 'GET', '/api/v1/auth/state')).json()).toEqual({ signupOpen: false });
    const closed = await anon(t, 'POST', '/api/v1/auth/signup', {
      email: 'outsider@example.com',
      password: 'a long enough password',
      name: 'Outsider',
    });
    expect(closed.statusCode).toBe(403);
    expect(closed.json().error).toMatchObject({ code: 'auth.signup_closed' });
    expect(closed.json().error.message).toContain('invitation');

    const created = await invite('editor');
    const preview = await anon(t, 'POST', '/api/v1/invitations/lookup', { token: created.token });
    expect(preview.json()).toMatchObject({ workspaceId: ws, role: 'editor', invitedBy: 'Ada' });

    const res = await signupVia(created.token, 'grace@example.com');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      user: { email: 'grace@example.com', orgRole: 'member' },
      accepted: { workspaceId: ws, role: 'editor' },
    });
    const grace = clientFrom(t, res);
    const workspaces = (await grace.request('GET', '/api/v1/workspaces')).json();
    expect(workspaces).toEqual([expect.objectContaining({ id: ws, role: 'editor' })]);

    const members = (await admin.request('GET', `/api/v1/workspaces/${ws}/members`)).json();
    expect(members).toContainEqual(
      expect.objectContaining({ email: 'grace@example.com', role: 'editor' }),
    );
    const pendingIds = (await admin.request('GET', `/api/v1/workspaces/${ws}/invitations`))
      .json()
      .map((i: { id: string }) => i.id);
    expect(pendingIds).not.toContain(created.invitation.id);
    expect(await auditActions()).toContainEqual(
      expect.objectContaining({
        action: 'invitation.accepted',
        subject: created.invitation.id,
        workspace_id: ws,
      }),
    );
  });

  it('lets a signed-in user accept an invitation to another workspace', async () => {
    const member = await addMember(t, 'viewer', ws);
    const created = await invite('agent', other);
    const res = await member.request('POST', '/api/v1/invitations/accept', {
      token: created.token,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ workspaceId: other, workspaceName: 'Payments', role: 'agent' });
    const mine = (await member.request('GET', '/api/v1/workspaces')).json();
    expect(mine.map((w: { id: string; role: string }) => [w.id, w.role])).toEqual([
      [ws, 'viewer'],
      [other, 'agent'],
    ]);
  });

  it('refuses reused, expired, revoked and forged tokens and changes nothing', async () => {
    const used = await invite('owner');
    expect((await signupVia(used.token)).statusCode).toBe(200);
    const expired = await invite('owner');
    await rows(
      sql`update invitations set expires_at = now() - interval '1 minute' where id = ${expired.invitation.id}`,
    );
    const revoked = await invite('owner');
    const revoke = await admin.request(
      'DELETE',
      `/api/v1/workspaces/${ws}/invitations/${revoked.invitation.id}`,
    );
    expect(revoke.statusCode).toBe(204);
    const forged = 'A'.repeat(43);
    const outsider = await addMember(t, 'viewer', other);

    const before = await snapshot();
    const cases: [string, string, number][] = [
      [used.token, 'invitation.used', 409],
      [expired.token, 'invitation.expired', 410],
      [revoked.token, 'invitation.revoked', 410],
      [forged, 'invitation.not_found', 404],
      [`${used.token.slice(0, -1)}x`, 'invitation.not_found', 404],
    ];
    for (const [token, code, status] of cases) {
      for (const res of [
        await signupVia(token),
        await outsider.request('POST', '/api/v1/invitations/accept', { token }),
        await anon(t, 'POST', '/api/v1/invitations/lookup', { token }),
      ]) {
        expect(res.statusCode, `${code}: ${res.body}`).toBe(status);
        expect(res.json().error.code).toBe(code);
      }
    }
    expect(await snapshot()).toEqual(before);
    // and the outsider still sees only their own workspace
    const theirs = (await outsider.request('GET', '/api/v1/workspaces')).json();
    expect(theirs.map((w: { id: string }) => w.id)).toEqual([other]);
  });

  it('uses an invitation once even when two people accept it at the same moment', async () => {
    const created = await invite('viewer');
    const [a, b] = await Promise.all([
      signupVia(created.token, 'racer-a@example.com'),
      signupVia(created.token, 'racer-b@example.com'),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const loser = a.statusCode === 409 ? a : b;
    expect(loser.json().error.code).toBe('invitation.used');
    // exactly one of the two accounts exists, and it is the one that joined
    const racers = await rows(
      sql`select u.email, m.role from users u join workspace_members m on m.user_id = u.id
          where u.email like 'racer-%' and m.workspace_id = ${ws}`,
    );
    expect(racers).toHaveLength(1);
    expect(await rows(sql`select id from users where email like 'racer-%'`)).toHaveLength(1);
  });

  it('refuses an invitation for a workspace one already belongs to, leaving it unused', async () => {
    const created = await invite('owner');
    const viewer = await addMember(t, 'viewer', ws);
    const res = await viewer.request('POST', '/api/v1/invitations/accept', {
      token: created.token,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('invitation.already_member');
    const role = await rows(
      sql`select role from workspace_members where workspace_id = ${ws} and user_id = ${viewer.user.id}`,
    );
    expect(role).toEqual([{ role: 'viewer' }]);
    const pending = (await admin.request('GET', `/api/v1/workspaces/${ws}/invitations`)).json();
    expect(pending.map((i: { id: string }) => i.id)).toContain(created.invitation.id);
  });

  it('refuses a signup through an invitation with an email that has an account', async () => {
    const created = await invite('viewer');
    const before = await snapshot();
    const res = await signupVia(created.token, 'ada@example.com');
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('auth.email_taken');
    expect(await snapshot()).toEqual(before);
  });

  it('changes roles and removes members, but never the last owner', async () => {
    const ws2 = await createWorkspace(t, 'Search');
    const ownerInvite = await invite('owner', ws2);
    const ownerRes = await signupVia(ownerInvite.token, 'olga@example.com');
    const olga = clientFrom(t, ownerRes);
    const editorRes = await signupVia((await invite('editor', ws2)).token, 'ed@example.com');
    const ed = clientFrom(t, editorRes);

    // olga is the only owner of ws2: she cannot demote or remove herself
    const demote = await olga.request(
      'PATCH',
      `/api/v1/workspaces/${ws2}/members/${olga.user.id}`,
      {
        role: 'viewer',
      },
    );
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.code).toBe('member.last_owner');
    const leave = await olga.request('DELETE', `/api/v1/workspaces/${ws2}/members/${olga.user.id}`);
    expect(leave.json().error.code).toBe('member.last_owner');
    const owners = () =>
      rows(
        sql`select user_id from workspace_members where workspace_id = ${ws2} and role = 'owner'`,
      );
    expect(await owners()).toEqual([{ user_id: olga.user.id }]);

    // an editor may not manage members: nothing changes
    const byEditor = await ed.request(
      'PATCH',
      `/api/v1/workspaces/${ws2}/members/${olga.user.id}`,
      {
        role: 'viewer',
      },
    );
    expect(byEditor.statusCode).toBe(403);
    expect(byEditor.json().error.code).toBe('auth.permission_required');
    const inviteByEditor = await ed.request('POST', `/api/v1/workspaces/${ws2}/invitations`, {
      role: 'owner',
    });
    expect(inviteByEditor.statusCode).toBe(403);
    expect(await owners()).toEqual([{ user_id: olga.user.id }]);

    // promote ed, then olga may step down; then remove olga
    const promote = await olga.request('PATCH', `/api/v1/workspaces/${ws2}/members/${ed.user.id}`, {
      role: 'owner',
    });
    expect(promote.json()).toMatchObject({ userId: ed.user.id, role: 'owner' });
    const remove = await ed.request('DELETE', `/api/v1/workspaces/${ws2}/members/${olga.user.id}`);
    expect(remove.statusCode).toBe(204);
    expect(await owners()).toEqual([{ user_id: ed.user.id }]);
    const gone = await olga.request('GET', `/api/v1/workspaces/${ws2}/members`);
    expect(gone.statusCode).toBe(404);

    const missing = await ed.request('DELETE', `/api/v1/workspaces/${ws2}/members/usr_nobody`);
    expect(missing.json().error.code).toBe('member.not_found');

    const trail = (await auditActions()).filter((e) => e.workspace_id === ws2);
    expect(trail.map((e) => [e.action, e.subject])).toEqual([
      ['invitation.created', ownerInvite.invitation.id],
      ['invitation.accepted', ownerInvite.invitation.id],
      ['invitation.created', expect.any(String)],
      ['invitation.accepted', expect.any(String)],
      ['member.role_changed', ed.user.id],
      ['member.removed', olga.user.id],
    ]);
    expect(trail[4]!.data).toEqual({ from: 'editor', to: 'owner' });
  });

  it('keeps members of one workspace out of another workspace’s members and invitations', async () => {
    const outsider = await addMember(t, 'owner', other);
    const before = await snapshot();
    for (const [method, url, body] of [
      ['GET', `/api/v1/workspaces/${ws}/members`, undefined],
      ['GET', `/api/v1/workspaces/${ws}/invitations`, undefined],
      ['POST', `/api/v1/workspaces/${ws}/invitations`, { role: 'owner' }],
      ['PATCH', `/api/v1/workspaces/${ws}/members/${admin.user.id}`, { role: 'viewer' }],
      ['DELETE', `/api/v1/workspaces/${ws}/members/${admin.user.id}`, undefined],
    ] as const) {
      const res = await outsider.request(method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const revokeOther = await outsider.request(
      'DELETE',
      `/api/v1/workspaces/${other}/invitations/${(await invite('viewer')).invitation.id}`,
    );
    expect(revokeOther.json().error.code).toBe('invitation.not_found');
    const after = await snapshot();
    expect(after.members).toEqual(before.members);
    expect(after.users).toEqual(before.users);
  });

  it('signs the invited user in afterwards with the password they chose', async () => {
    const created = await invite('viewer');
    await signupVia(created.token, 'later@example.com');
    const again = await logIn(t, 'later@example.com', 'a long enough password');
    expect(again.user.email).toBe('later@example.com');
    const nb = await createNotebook(admin, 'shared');
    expect((await again.request('GET', `/api/v1/notebooks/${nb.id}`)).statusCode).toBe(200);
  });
});
