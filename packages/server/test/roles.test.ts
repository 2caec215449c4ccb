import type { WorkspaceRole } from '@spin/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  anon,
  createNotebook,
  dbKinds,
  defaultWorkspaceId,
  fakeRuntime,
  makeReceipt,
  openSession,
  registerRuntime,
  SAMPLE_OUTPUTS,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';

type Who = WorkspaceRole | 'anonymous';
const WHO: Who[] = ['owner', 'editor', 'agent', 'viewer', 'anonymous'];

interface Ctx {
  t: TestServer;
  admin: TestClient;
  rt: FakeRuntime;
  nb: string;
  sid: string;
  ws: string;
}

/** One route of the matrix: the request, and the expected status per role (DESIGN.md §4). */
interface RouteCase {
  name: string;
  send(
    c: Ctx,
    as: (
      method: string,
      url: string,
      body?: unknown,
    ) => Promise<{ statusCode: number; json(): { error?: { code: string } } }>,
  ): Promise<{ statusCode: number; json(): { error?: { code: string } } }>;
  allowed: WorkspaceRole[];
  okStatus: number;
  /** Code of a refusal for roles that pass the route's check but not the service's. */
  refusedCode?: Partial<Record<WorkspaceRole, string>>;
}

const ALL: WorkspaceRole[] = ['owner', 'editor', 'agent', 'viewer'];
const RUNNERS: WorkspaceRole[] = ['owner', 'editor', 'agent'];
const EDITORS: WorkspaceRole[] = ['owner', 'editor'];

const ROUTES: RouteCase[] = [
  {
    name: 'GET /workspaces',
    allowed: ALL,
    okStatus: 200,
    send: (_c, as) => as('GET', '/api/v1/workspaces'),
  },
  {
    name: 'GET /notebooks',
    allowed: ALL,
    okStatus: 200,
    send: (c, as) => as('GET', `/api/v1/notebooks?workspaceId=${c.ws}`),
  },
  {
    name: 'GET /notebooks/:id',
    allowed: ALL,
    okStatus: 200,
    send: (c, as) => as('GET', `/api/v1/notebooks/${c.nb}`),
  },
  {
    name: 'POST /notebooks',
    allowed: EDITORS,
    okStatus: 201,
    send: (c, as) => as('POST', '/api/v1/notebooks', { title: 'new', workspaceId: c.ws }),
  },
  {
    name: 'PUT /notebooks/:id',
    allowed: EDITORS,
    okStatus: 200,
    send: (c, as) => as('PUT', `/api/v1/notebooks/${c.nb}`, { title: 'renamed' }),
  },
  {
    name: 'GET /runtimes',
    allowed: ALL,
    okStatus: 200,
    send: (_c, as) => as('GET', '/api/v1/runtimes'),
  },
  {
    name: 'POST /runtimes',
    allowed: ['owner'],
    okStatus: 201,
    send: async (_c, as) =>
      as('POST', '/api/v1/runtimes', {
        name: 'x',
        url: 'http://127.0.0.1:8888',
        identity: (await fakeRuntime()).identity,
      }),
  },
  {
    name: 'POST /runtimes/:id/repair',
    allowed: ['owner'],
    okStatus: 200,
    send: (c, as) =>
      as('POST', `/api/v1/runtimes/${c.rt.id}/repair`, {
        expectedFingerprint: c.rt.identity.fingerprint,
        identity: c.rt.identity,
        url: 'http://127.0.0.1:8888',
      }),
  },
  {
    name: 'POST /runtimes/:id/pair-grant',
    allowed: ['owner'],
    okStatus: 200,
    send: (c, as) => as('POST', `/api/v1/runtimes/${c.rt.id}/pair-grant`, { allowedOrigins: [] }),
  },
  {
    // the session is open already: viewers join it to watch (starting one needs run rights)
    name: 'POST /sessions',
    allowed: ALL,
    okStatus: 200,
    send: (c, as) => as('POST', '/api/v1/sessions', { notebookId: c.nb, runtimeId: c.rt.id }),
  },
  {
    name: 'GET /sessions/:sid',
    allowed: ALL,
    okStatus: 200,
    send: (c, as) => as('GET', `/api/v1/sessions/${c.sid}`),
  },
  {
    // the admin opened the session: only it (the session owner) or a workspace owner hands off
    name: 'POST /sessions/:sid/handoff',
    allowed: ['owner'],
    okStatus: 200,
    refusedCode: { editor: 'session.not_owner', agent: 'session.not_owner' },
    send: (c, as) => as('POST', `/api/v1/sessions/${c.sid}/handoff`, { to: c.admin.user.id }),
  },
  {
    name: 'POST /sessions/:sid/token',
    allowed: ALL,
    okStatus: 200,
    send: (c, as) => as('POST', `/api/v1/sessions/${c.sid}/token`),
  },
  {
    name: 'POST /notebooks/:id/compile',
    allowed: RUNNERS,
    okStatus: 200,
    send: (c, as) =>
      as('POST', `/api/v1/notebooks/${c.nb}/compile`, {
        sid: c.sid,
        cell: { id: 'c1', type: 'python', source: '1' },
      }),
  },
  {
    name: 'POST /sessions/:sid/pending-receipts',
    allowed: ALL,
    okStatus: 200,
    send: (c, as) => as('POST', `/api/v1/sessions/${c.sid}/pending-receipts`, { jtis: ['x'] }),
  },
  {
    name: 'POST /receipts',
    allowed: ALL,
    okStatus: 200,
    send: async (c, as) => {
      const compiled = await c.admin.request('POST', `/api/v1/notebooks/${c.nb}/compile`, {
        sid: c.sid,
        cell: { id: 'c1', type: 'python', source: '1' },
      });
      const program = {
        jti: compiled.json().jti,
        cell: 'c1',
        sid: c.sid,
        sub: c.admin.user.id,
        notebook: c.nb,
      };
      return as('POST', '/api/v1/receipts', {
        receipt: await makeReceipt(c.rt, program),
        outputs: SAMPLE_OUTPUTS,
      });
    },
  },
  {
    name: 'GET /audit',
    allowed: ['owner'],
    okStatus: 200,
    send: (_c, as) => as('GET', '/api/v1/audit'),
  },
  {
    // the chain spans every workspace: org admins only
    name: 'GET /audit/verify',
    allowed: [],
    okStatus: 200,
    send: (_c, as) => as('GET', '/api/v1/audit/verify'),
  },
];

describe.each(dbKinds)('route × role matrix (%s)', (kind) => {
  const c = {} as Ctx;
  const members = {} as Record<WorkspaceRole, TestClient>;

  beforeAll(async () => {
    c.t = await startTestServer(kind);
    c.admin = await signUpAdmin(c.t);
    c.ws = await defaultWorkspaceId(c.admin);
    c.rt = await registerRuntime(c.admin);
    c.nb = (await createNotebook(c.admin)).id;
    c.sid = (await openSession(c.admin, c.nb, c.rt.id)).sid;
    for (const role of ALL) members[role] = await addMember(c.t, role, c.ws);
  });
  afterAll(() => c.t.close());

  const cases = ROUTES.flatMap((r) => WHO.map((who) => [r.name, who, r] as const));
  it.each(cases)('%s as %s', async (_name, who, route) => {
    const as = (method: string, url: string, body?: unknown) =>
      who === 'anonymous'
        ? anon(c.t, method as 'GET', url, body)
        : members[who].request(method as 'GET', url, body);
    const res = await route.send(c, as);
    if (who === 'anonymous') {
      expect(res.statusCode).toBe(401);
      expect(res.json().error?.code).toBe('auth.unauthenticated');
    } else if (route.allowed.includes(who)) {
      expect(res.statusCode).toBe(route.okStatus);
    } else {
      expect(res.statusCode).toBe(403);
      expect(res.json().error?.code).toBe(route.refusedCode?.[who] ?? 'auth.permission_required');
    }
  });

  it('hides notebooks of workspaces the caller is not a member of', async () => {
    const otherWs = 'ws_other';
    await c.t.server.services.database.db.execute(
      (await import('drizzle-orm'))
        .sql`insert into workspaces (id, name) values (${otherWs}, 'Other')`,
    );
    const outsider = await addMember(c.t, 'owner', otherWs);
    const res = await outsider.request('GET', `/api/v1/notebooks/${c.nb}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('notebook.not_found');
    const list = await outsider.request('GET', `/api/v1/notebooks?workspaceId=${c.ws}`);
    expect(list.statusCode).toBe(404);
  });
});
