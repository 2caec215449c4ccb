import type { WorkspaceRole } from '@spin/protocol';
import {
  fakeRuntime,
  makeReceipt,
  SAMPLE_OUTPUTS,
  type FakeRuntime,
  type TestClient,
} from './fixtures.js';

/**
 * The route × role matrix (DESIGN.md §4) as data: one entry per registered route, keyed
 * `METHOD url-pattern` exactly as Fastify registers it. `roles.test.ts` enumerates the app's
 * routes and fails for any route without an entry here (and for entries naming no route), then
 * sends every route as every caller and checks the outcome below. Adding a route means adding
 * one line here.
 */

/** Who sends a request: a workspace role in the matrix's workspace, or one of the others. */
export type Who = WorkspaceRole | 'anonymous' | 'orgAdmin' | 'outsider';
/** Every caller, in the order the cases run. */
export const WHO: readonly Who[] = [
  'anonymous',
  'viewer',
  'agent',
  'editor',
  'owner',
  'orgAdmin',
  'outsider',
];

/** The world the matrix runs in (built once per database by roles.test.ts). */
export interface MatrixCtx {
  /** Sign-up admin: sets things up; never one of the callers. */
  admin: TestClient;
  /** The workspace the roles are granted in, and its notebook, runtime and session. */
  ws: string;
  nb: string;
  rt: FakeRuntime;
  sid: string;
  /** A second workspace: the outsider owns it and nothing else. */
  otherWs: string;
  /** A new child workspace of `ws` (the callers' roles there are inherited). */
  childWorkspace(): Promise<string>;
}

/** One request of a case: path (with query) and body; `fresh`: a new login of the same user. */
export interface MatrixRequest {
  url: string;
  body?: unknown;
  fresh?: boolean;
}

/** What a caller must get. `hides`: a 200 whose body names nothing of the matrix's workspace. */
export interface Outcome {
  status: number;
  code?: string;
  hides?: boolean;
}

/** A route's entry: the request to send and the outcome per caller. */
export interface MatrixEntry {
  /** Built right before sending (may prepare data, e.g. compile a program to receipt). */
  request(c: MatrixCtx): MatrixRequest | Promise<MatrixRequest>;
  expect: Readonly<Record<Who, Outcome>>;
  /** Public routes answer the same to everyone; their data is not checked for changes. */
  open?: boolean;
}

type Req = MatrixEntry['request'];
const ROLES: readonly WorkspaceRole[] = ['owner', 'editor', 'agent', 'viewer'];
const UNAUTH: Outcome = { status: 401, code: 'auth.unauthenticated' };
const DENIED: Outcome = { status: 403, code: 'auth.permission_required' };

/** Answers every caller the same (health, keys, sign-in pages, unknown API paths). */
function open(status: number, request: Req, code?: string): MatrixEntry {
  const outcome: Outcome = code ? { status, code } : { status };
  return {
    request,
    open: true,
    expect: Object.fromEntries(WHO.map((w) => [w, outcome])) as Record<Who, Outcome>,
  };
}

/** Any signed-in user; the outsider's answer names nothing of the matrix's workspace. */
function signedIn(ok: number, request: Req): MatrixEntry {
  return {
    request,
    expect: {
      anonymous: UNAUTH,
      ...(Object.fromEntries(ROLES.map((r) => [r, { status: ok }])) as Record<
        WorkspaceRole,
        Outcome
      >),
      orgAdmin: { status: ok },
      outsider: { status: ok, hides: true },
    },
  };
}

/**
 * A resource of the matrix's workspace: `allowed` roles (and org admins) get `ok`, other
 * members 403, the outsider a 404 `notFound` (existence is not leaked).
 */
function ws(
  allowed: readonly WorkspaceRole[],
  ok: number,
  notFound: string,
  request: Req,
): MatrixEntry {
  return {
    request,
    expect: {
      anonymous: UNAUTH,
      ...(Object.fromEntries(
        ROLES.map((r) => [r, allowed.includes(r) ? { status: ok } : DENIED]),
      ) as Record<WorkspaceRole, Outcome>),
      orgAdmin: { status: ok },
      outsider: { status: 404, code: notFound },
    },
  };
}

/**
 * A list over every workspace where the caller's role allows the action: `allowed` roles get
 * `ok`; others 403 (they have no such workspace); the outsider (owner of its own workspace)
 * a 200 that names nothing of the matrix's workspace.
 */
function scoped(allowed: readonly WorkspaceRole[], ok: number, request: Req): MatrixEntry {
  const entry = ws(allowed, ok, '', request);
  return { ...entry, expect: { ...entry.expect, outsider: { status: ok, hides: true } } };
}

/** Organisation admins only. */
function orgAdmin(ok: number, request: Req): MatrixEntry {
  const entry = ws([], ok, '', request);
  return { ...entry, expect: { ...entry.expect, outsider: DENIED } };
}

/** A resource of the matrix's workspace that only org admins may act on (members: 403). */
function wsOrgAdmin(ok: number, notFound: string, request: Req): MatrixEntry {
  return ws([], ok, notFound, request);
}

/** Any signed-in user gets `outcome` (e.g. a refusal that does not depend on the role). */
function signedInAll(outcome: Outcome, request: Req): MatrixEntry {
  return {
    request,
    expect: Object.fromEntries(WHO.map((w) => [w, w === 'anonymous' ? UNAUTH : outcome])) as Record<
      Who,
      Outcome
    >,
  };
}

/** An entry whose service refuses some roles the route's check lets through, with its own code. */
function withCodes(entry: MatrixEntry, codes: Partial<Record<Who, Outcome>>): MatrixEntry {
  return { ...entry, expect: { ...entry.expect, ...codes } };
}

const NOT_OWNER: Outcome = { status: 403, code: 'session.not_owner' };
const NO_REQUEST: Outcome = { status: 404, code: 'session.request_not_found' };
const FORGED_INVITATION = 'forged-invitation-token-0123456789';

/**
 * Something the sign-up admin owns (an API token): only its owner, or an org admin, may act on
 * it; anyone else gets 404 `request.not_found` (another user's token is not leaked).
 */
function ownedByAdmin(request: Req): MatrixEntry {
  const hidden: Outcome = { status: 404, code: 'request.not_found' };
  return {
    request,
    expect: {
      anonymous: UNAUTH,
      ...(Object.fromEntries(ROLES.map((r) => [r, hidden])) as Record<WorkspaceRole, Outcome>),
      orgAdmin: { status: 200 },
      outsider: hidden,
    },
  };
}

const ALL = ROLES;
const RUNNERS: readonly WorkspaceRole[] = ['owner', 'editor', 'agent'];
const EDITORS: readonly WorkspaceRole[] = ['owner', 'editor'];
const OWNERS: readonly WorkspaceRole[] = ['owner'];
const NB = 'notebook.not_found';
const SES = 'session.not_found';
const RT = 'runtime.unknown_runtime';
const WS = 'request.not_found';
const PROG = 'receipt.unknown_program';

const cell = { id: 'c1', type: 'python', source: '1' } as const;
const url =
  (u: string): Req =>
  () => ({ url: u });

let cellSeq = 0;
/** A cell id no earlier case used. */
const freshCellId = () => `mx${++cellSeq}`;
/** Insert a fresh cell into the matrix's notebook as the admin; its id. */
async function freshCell(c: MatrixCtx): Promise<string> {
  const id = freshCellId();
  const res = await c.admin.request('POST', `/api/v1/notebooks/${c.nb}/cells`, {
    cell: { id, type: 'python', source: '2' },
  });
  if (res.statusCode !== 201) throw new Error(`insert cell: ${res.body}`);
  return id;
}
/** The smallest nbformat 4 notebook. */
const EMPTY_IPYNB = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] };

/** A new personal API token of the admin (in the matrix's workspace); its id. */
async function adminToken(c: MatrixCtx): Promise<string> {
  const res = await c.admin.request('POST', '/api/v1/tokens', {
    name: 'admin matrix token',
    kind: 'personal',
    workspaceId: c.ws,
    expiresInDays: 7,
  });
  if (res.statusCode !== 201) throw new Error(`create token: ${res.body}`);
  return (res.json() as { token: { id: string } }).token.id;
}

/** Compile a fresh program as the admin, and the receipt its runtime would sign for it. */
async function freshReceipt(c: MatrixCtx): Promise<MatrixRequest> {
  const compiled = await c.admin.request('POST', `/api/v1/notebooks/${c.nb}/compile`, {
    sid: c.sid,
    cell,
  });
  const program = {
    jti: compiled.json().jti as string,
    cell: 'c1',
    sid: c.sid,
    sub: c.admin.user.id,
    notebook: c.nb,
  };
  return {
    url: '/api/v1/receipts',
    body: { receipt: await makeReceipt(c.rt, program), outputs: SAMPLE_OUTPUTS },
  };
}

let credentialSeq = 0;
/** A new connection (postgres, with a password) in the matrix's workspace, as the admin; its id. */
async function freshConnection(c: MatrixCtx): Promise<string> {
  const res = await c.admin.request('POST', `/api/v1/workspaces/${c.ws}/connections`, {
    name: `mx-db-${++credentialSeq}`,
    processor: 'postgres',
    config: { host: 'db.internal' },
    secrets: { password: 'matrix-password' },
  });
  if (res.statusCode !== 201) throw new Error(`create connection: ${res.body}`);
  return (res.json() as { id: string }).id;
}
/** A new spin_store secret in the matrix's workspace, as the admin; its id. */
async function freshSecret(c: MatrixCtx): Promise<string> {
  const res = await c.admin.request('POST', `/api/v1/workspaces/${c.ws}/secrets`, {
    name: `MX_SECRET_${++credentialSeq}`,
    ref: { storeType: 'spin_store' },
    value: 'matrix-secret-value',
  });
  if (res.statusCode !== 201) throw new Error(`create secret: ${res.body}`);
  return (res.json() as { id: string }).id;
}
const CON = 'connection.not_found';
const SEC = 'secret.not_found';

/** One line per registered route. HEAD routes Fastify adds for GETs run with the GET's entry. */
// prettier-ignore
export const ROUTE_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  'GET /healthz': open(200, url('/healthz')),
  'GET /metrics': open(401, url('/metrics'), 'auth.token_missing'),
  'GET /.well-known/jwks.json': open(200, url('/.well-known/jwks.json')),
  'GET /api/v1/openapi.json': open(200, url('/api/v1/openapi.json')),
  'GET /api/v1/server': open(200, url('/api/v1/server')),
  'GET /api/*': open(404, url('/api/v1/nothing-here'), 'request.not_found'),
  'POST /api/*': open(404, url('/api/v1/nothing-here'), 'request.not_found'),
  'PUT /api/*': open(404, url('/api/v1/nothing-here'), 'request.not_found'),
  'PATCH /api/*': open(404, url('/api/v1/nothing-here'), 'request.not_found'),
  'DELETE /api/*': open(404, url('/api/v1/nothing-here'), 'request.not_found'),
  'OPTIONS /api/*': open(404, url('/api/v1/nothing-here'), 'request.not_found'),
  'TRACE /api/*': open(404, url('/api/v1/nothing-here'), 'request.not_found'),
  'QUERY /api/*': open(404, () => ({ url: '/api/v1/nothing-here', body: {} }), 'request.not_found'),
  'GET /api/v1/auth/state': open(200, url('/api/v1/auth/state')),
  'POST /api/v1/auth/signup': open(403, () => ({ url: '/api/v1/auth/signup', body: { email: 'late@example.com', password: 'a long enough password', name: 'Late' } }), 'auth.signup_closed'),
  'POST /api/v1/auth/login': open(401, () => ({ url: '/api/v1/auth/login', body: { email: 'nobody@example.com', password: 'wrong password here' } }), 'auth.invalid_credentials'),
  'POST /api/v1/auth/logout': open(200, () => ({ url: '/api/v1/auth/logout', fresh: true })),
  'GET /api/v1/auth/me': signedIn(200, url('/api/v1/auth/me')),
  'GET /api/v1/workspaces': signedIn(200, url('/api/v1/workspaces')),
  'POST /api/v1/workspaces': ws(OWNERS, 201, WS, (c) => ({ url: '/api/v1/workspaces', body: { name: 'Child', parentId: c.ws } })),
  'GET /api/v1/workspaces/:id': ws(ALL, 200, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}` })),
  'PATCH /api/v1/workspaces/:id': ws(OWNERS, 200, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}`, body: { description: 'on call' } })),
  'POST /api/v1/workspaces/:id/archive': ws(OWNERS, 200, WS, async (c) => ({ url: `/api/v1/workspaces/${await c.childWorkspace()}/archive` })),
  'DELETE /api/v1/workspaces/:id/archive': ws(OWNERS, 200, WS, async (c) => ({ url: `/api/v1/workspaces/${await c.childWorkspace()}/archive` })),
  'DELETE /api/v1/workspaces/:id': wsOrgAdmin(200, WS, async (c) => ({ url: `/api/v1/workspaces/${await c.childWorkspace()}` })),
  'GET /api/v1/notebooks': ws(ALL, 200, WS, (c) => ({ url: `/api/v1/notebooks?workspaceId=${c.ws}` })),
  'POST /api/v1/notebooks': ws(EDITORS, 201, WS, (c) => ({ url: '/api/v1/notebooks', body: { title: 'new', workspaceId: c.ws } })),
  'GET /api/v1/notebooks/:id': ws(ALL, 200, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}` })),
  'PUT /api/v1/notebooks/:id': ws(EDITORS, 200, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}`, body: { title: 'renamed' } })),
  'POST /api/v1/notebooks/:id/compile': ws(RUNNERS, 200, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}/compile`, body: { sid: c.sid, cell } })),
  // the notebook defines no variables: callers allowed to run get the service's refusal
  'POST /api/v1/notebooks/:id/variables/:name/compile': withCodes(ws(RUNNERS, 400, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}/variables/nothing/compile`, body: { sid: c.sid } })), Object.fromEntries(['owner', 'editor', 'agent', 'orgAdmin'].map((w) => [w, { status: 400, code: 'template.unknown_variable' }]))),
  'GET /api/v1/runtimes': scoped(ALL, 200, url('/api/v1/runtimes')),
  'POST /api/v1/runtimes': ws(OWNERS, 201, WS, async (c) => ({ url: '/api/v1/runtimes', body: { name: 'x', url: 'http://127.0.0.1:8888', workspaceId: c.ws, identity: (await fakeRuntime()).identity } })),
  'POST /api/v1/runtimes/:id/repair': ws(OWNERS, 200, RT, (c) => ({ url: `/api/v1/runtimes/${c.rt.id}/repair`, body: { expectedFingerprint: c.rt.identity.fingerprint, identity: c.rt.identity, url: 'http://127.0.0.1:8888' } })),
  'POST /api/v1/runtimes/:id/pair-grant': ws(OWNERS, 200, RT, (c) => ({ url: `/api/v1/runtimes/${c.rt.id}/pair-grant`, body: { allowedOrigins: [] } })),
  // the session is open already: viewers join it to watch (starting one needs run rights)
  'POST /api/v1/sessions': ws(ALL, 200, NB, (c) => ({ url: '/api/v1/sessions', body: { notebookId: c.nb, runtimeId: c.rt.id } })),
  'GET /api/v1/sessions/:sid': ws(ALL, 200, SES, (c) => ({ url: `/api/v1/sessions/${c.sid}` })),
  // the admin opened the session: its owner or a workspace owner hands off (to itself: no change)
  'POST /api/v1/sessions/:sid/handoff': withCodes(ws(OWNERS, 200, SES, (c) => ({ url: `/api/v1/sessions/${c.sid}/handoff`, body: { to: c.admin.user.id } })), { editor: NOT_OWNER, agent: NOT_OWNER }),
  'GET /api/v1/workspaces/:id/members': ws(ALL, 200, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/members` })),
  // the admin's own role, unchanged: allowed callers get 200 and nothing moves
  'PATCH /api/v1/workspaces/:id/members/:userId': ws(OWNERS, 200, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/members/${c.admin.user.id}`, body: { role: 'owner' } })),
  // no such member: allowed callers get member.not_found; the role gate is what is checked
  'DELETE /api/v1/workspaces/:id/members/:userId': withCodes(ws(OWNERS, 404, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/members/usr_nobody` })), { owner: { status: 404, code: 'member.not_found' }, orgAdmin: { status: 404, code: 'member.not_found' } }),
  'GET /api/v1/workspaces/:id/invitations': ws(OWNERS, 200, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/invitations` })),
  'POST /api/v1/workspaces/:id/invitations': ws(OWNERS, 201, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/invitations`, body: { role: 'viewer' } })),
  'DELETE /api/v1/workspaces/:id/invitations/:invitationId': withCodes(ws(OWNERS, 404, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/invitations/inv_nobody` })), { owner: { status: 404, code: 'invitation.not_found' }, orgAdmin: { status: 404, code: 'invitation.not_found' } }),
  // the invitation token is the permit: a forged one is refused the same for everyone
  'POST /api/v1/invitations/lookup': open(404, () => ({ url: '/api/v1/invitations/lookup', body: { token: FORGED_INVITATION } }), 'invitation.not_found'),
  'POST /api/v1/invitations/signup': open(404, () => ({ url: '/api/v1/invitations/signup', body: { token: FORGED_INVITATION, email: 'new@example.com', password: 'a long enough password', name: 'New' } }), 'invitation.not_found'),
  'POST /api/v1/invitations/accept': signedInAll({ status: 404, code: 'invitation.not_found' }, () => ({ url: '/api/v1/invitations/accept', body: { token: FORGED_INVITATION } })),
  'POST /api/v1/auth/password': signedInAll({ status: 401, code: 'auth.invalid_credentials' }, () => ({ url: '/api/v1/auth/password', body: { currentPassword: 'not the password', newPassword: 'another long password' } })),
  // any runner but the session's owner (the admin) may ask for it; viewers may not
  'POST /api/v1/sessions/:sid/ownership-requests': ws(RUNNERS, 200, SES, (c) => ({ url: `/api/v1/sessions/${c.sid}/ownership-requests` })),
  // answering needs the owner's rights (accepting is a handoff, tested in ownershipRequests.test.ts): the matrix asks about no request
  'POST /api/v1/sessions/:sid/ownership-requests/:requestId/accept': withCodes(ws(OWNERS, 404, SES, (c) => ({ url: `/api/v1/sessions/${c.sid}/ownership-requests/orq_none/accept` })), { owner: NO_REQUEST, orgAdmin: NO_REQUEST, editor: NOT_OWNER, agent: NOT_OWNER }),
  'POST /api/v1/sessions/:sid/ownership-requests/:requestId/decline': withCodes(ws(OWNERS, 404, SES, (c) => ({ url: `/api/v1/sessions/${c.sid}/ownership-requests/orq_none/decline` })), { owner: NO_REQUEST, orgAdmin: NO_REQUEST, editor: NOT_OWNER, agent: NOT_OWNER }),
  'POST /api/v1/sessions/:sid/token': ws(ALL, 200, SES, (c) => ({ url: `/api/v1/sessions/${c.sid}/token` })),
  'POST /api/v1/sessions/:sid/pending-receipts': ws(ALL, 200, SES, (c) => ({ url: `/api/v1/sessions/${c.sid}/pending-receipts`, body: { jtis: ['x'] } })),
  'POST /api/v1/receipts': ws(ALL, 200, PROG, freshReceipt),
  'GET /api/v1/audit': scoped(OWNERS, 200, url('/api/v1/audit')),
  'GET /api/v1/audit/verify': orgAdmin(200, url('/api/v1/audit/verify')),
  'GET /api/v1/workspaces/:id/notebooks': ws(ALL, 200, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/notebooks?q=Incident` })),
  'POST /api/v1/workspaces/:id/notebooks/import': ws(EDITORS, 201, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/notebooks/import?title=Imported`, body: EMPTY_IPYNB })),
  'GET /api/v1/notebooks/:id/export.ipynb': ws(ALL, 200, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}/export.ipynb` })),
  'POST /api/v1/notebooks/:id/cells': ws(EDITORS, 201, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}/cells`, body: { cell: { id: freshCellId(), type: 'python', source: '3' } } })),
  'PATCH /api/v1/notebooks/:id/cells/:cellId': ws(EDITORS, 200, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}/cells/c1`, body: { source: 'print(2 + 2)' } })),
  'POST /api/v1/notebooks/:id/cells/:cellId/move': ws(EDITORS, 200, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}/cells/c1/move`, body: { index: 0 } })),
  'DELETE /api/v1/notebooks/:id/cells/:cellId': ws(EDITORS, 200, NB, async (c) => ({ url: `/api/v1/notebooks/${c.nb}/cells/${await freshCell(c)}` })),
  'GET /api/v1/notebooks/:id/versions': ws(ALL, 200, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}/versions` })),
  'GET /api/v1/notebooks/:id/versions/:version': ws(ALL, 200, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}/versions/0` })),
  'POST /api/v1/notebooks/:id/versions/:version/restore': ws(EDITORS, 200, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}/versions/0/restore`, body: {} })),
  'PUT /api/v1/notebooks/:id/tags': ws(EDITORS, 200, NB, (c) => ({ url: `/api/v1/notebooks/${c.nb}/tags`, body: { tags: ['oncall'] } })),
  'POST /api/v1/tokens': ws(ALL, 201, WS, (c) => ({ url: '/api/v1/tokens', body: { name: 'matrix', kind: 'personal', workspaceId: c.ws, expiresInDays: 7 } })),
  'GET /api/v1/tokens': signedIn(200, url('/api/v1/tokens')),
  'DELETE /api/v1/tokens/:id': ownedByAdmin(async (c) => ({ url: `/api/v1/tokens/${await adminToken(c)}` })),
  'GET /api/v1/auth/oidc/login': open(404, url('/api/v1/auth/oidc/login'), 'sso.not_configured'),
  'GET /api/v1/auth/oidc/callback': open(404, url('/api/v1/auth/oidc/callback?code=x&state=y'), 'sso.not_configured'),
  'GET /api/v1/audit/export': scoped(OWNERS, 200, url('/api/v1/audit/export')),
  // connections and secrets (issue 9): agents and viewers get names and types only
  'GET /api/v1/workspaces/:id/connections': ws(ALL, 200, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/connections` })),
  'POST /api/v1/workspaces/:id/connections': ws(OWNERS, 201, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/connections`, body: { name: `mx-new-${++credentialSeq}`, processor: 'postgres', config: { host: 'db.internal' } } })),
  'GET /api/v1/connections/:id': ws(EDITORS, 200, CON, async (c) => ({ url: `/api/v1/connections/${await freshConnection(c)}` })),
  'PATCH /api/v1/connections/:id': ws(OWNERS, 200, CON, async (c) => ({ url: `/api/v1/connections/${await freshConnection(c)}`, body: { config: { host: 'db2.internal' } } })),
  'DELETE /api/v1/connections/:id': ws(OWNERS, 200, CON, async (c) => ({ url: `/api/v1/connections/${await freshConnection(c)}` })),
  'POST /api/v1/connections/:id/test': ws(EDITORS, 200, CON, async (c) => ({ url: `/api/v1/connections/${await freshConnection(c)}/test`, body: { sid: c.sid } })),
  'GET /api/v1/workspaces/:id/secrets': ws(EDITORS, 200, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/secrets` })),
  'POST /api/v1/workspaces/:id/secrets': ws(OWNERS, 201, WS, (c) => ({ url: `/api/v1/workspaces/${c.ws}/secrets`, body: { name: `MX_NEW_${++credentialSeq}`, ref: { storeType: 'runtime_env', env: 'MX_ENV' } } })),
  'GET /api/v1/secrets/:id': ws(EDITORS, 200, SEC, async (c) => ({ url: `/api/v1/secrets/${await freshSecret(c)}` })),
  'PATCH /api/v1/secrets/:id': ws(OWNERS, 200, SEC, async (c) => ({ url: `/api/v1/secrets/${await freshSecret(c)}`, body: { description: 'rotated monthly' } })),
  'DELETE /api/v1/secrets/:id': ws(OWNERS, 200, SEC, async (c) => ({ url: `/api/v1/secrets/${await freshSecret(c)}` })),
  // whoever runs cells on the runtime relays its sealed bundle (it cannot read it)
  'GET /api/v1/runtimes/:id/credentials': ws(RUNNERS, 200, RT, (c) => ({ url: `/api/v1/runtimes/${c.rt.id}/credentials` })),
  'GET /api/v1/sessions/:sid/timeline': ws(ALL, 200, SES, (c) => ({ url: `/api/v1/sessions/${c.sid}/timeline` })),
};
