import type { WorkspaceRole } from '@spin/protocol';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anon,
  createNotebook,
  createWorkspace,
  dbKinds,
  defaultWorkspaceId,
  logIn,
  openSession,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';
import { ROUTE_MATRIX, WHO, type MatrixCtx, type MatrixEntry, type Who } from './routeMatrix.js';

/** The route × role matrix, generated from the routes the app registered (issue 7, item 1). */

interface Caller {
  email: string;
  password: string;
  client: TestClient;
}

/** Every row of every table in the public schema, as text: "the data is unchanged" is equality. */
async function snapshot(t: TestServer): Promise<Record<string, string[]>> {
  const db = t.server.services.database.db;
  const rowsOf = async (q: ReturnType<typeof sql>) =>
    ((await db.execute(q)) as unknown as { rows: Record<string, unknown>[] }).rows;
  const tables = (
    await rowsOf(
      sql`select table_name as name from information_schema.tables
          where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
    )
  ).map((r) => String(r.name));
  const out: Record<string, string[]> = {};
  for (const name of tables) {
    // rate-limit counters are bookkeeping of every attempt, refused ones included
    if (name === 'rate_limits') continue;
    const rows = await rowsOf(
      sql`select row_to_json(x)::text as r from ${sql.identifier(name)} x order by 1`,
    );
    out[name] = rows.map((r) => String(r.r));
  }
  return out;
}

/** The matrix's key for a registered route; HEAD routes Fastify exposes share the GET's entry. */
function entryKey(method: string, url: string): string {
  return method === 'HEAD' ? `GET ${url}` : `${method} ${url}`;
}

describe.each(dbKinds)('route × role matrix (%s)', (kind) => {
  let t: TestServer;
  const c = {} as MatrixCtx;
  const callers = {} as Record<Exclude<Who, 'anonymous'>, Caller>;

  async function addCaller(
    who: Exclude<Who, 'anonymous'>,
    workspaceId: string,
    role: WorkspaceRole,
    orgRole: 'admin' | 'member' = 'member',
  ) {
    const email = `${who.toLowerCase()}-matrix@example.com`;
    const password = `pw-${who}-0123456789`;
    await t.server.services.auth.createUser({
      email,
      password,
      name: who,
      workspaceId,
      role,
      orgRole,
    });
    callers[who] = { email, password, client: await logIn(t, email, password) };
  }

  beforeAll(async () => {
    t = await startTestServer(kind);
    c.admin = await signUpAdmin(t);
    c.ws = await defaultWorkspaceId(c.admin);
    c.rt = await registerRuntime(c.admin);
    c.nb = (await createNotebook(c.admin)).id;
    c.sid = (await openSession(c.admin, c.nb, c.rt.id)).sid;
    c.otherWs = await createWorkspace(t, 'Other');
    c.childWorkspace = async () => {
      const res = await c.admin.request('POST', '/api/v1/workspaces', {
        name: 'Child',
        parentId: c.ws,
      });
      if (res.statusCode !== 201) throw new Error(`child workspace: ${res.body}`);
      return (res.json() as { id: string }).id;
    };
    for (const role of ['owner', 'editor', 'agent', 'viewer'] as const) {
      await addCaller(role, c.ws, role);
    }
    // An org admin who is no member of the matrix's workspace: reaches it by the org role.
    await addCaller('orgAdmin', c.otherWs, 'viewer', 'admin');
    await addCaller('outsider', c.otherWs, 'owner');
  });
  afterAll(() => t.close());

  it('has exactly one entry per registered route', () => {
    const registered = new Set(t.server.routes.map((r) => entryKey(r.method, r.url)));
    const missing = [...registered].filter((k) => !(k in ROUTE_MATRIX)).sort();
    const stale = Object.keys(ROUTE_MATRIX)
      .filter((k) => !registered.has(k))
      .sort();
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  // One test per entry; the test above ties the entries to the registered routes, so every
  // registered route runs here (a HEAD route Fastify added runs with its GET's entry).
  it.each(Object.keys(ROUTE_MATRIX))(
    '%s: every caller as the matrix says; refusals change nothing',
    async (key) => {
      const entry: MatrixEntry = ROUTE_MATRIX[key]!;
      const [method, pattern] = key.split(' ') as [string, string];
      const head =
        method === 'GET' && t.server.routes.some((r) => r.method === 'HEAD' && r.url === pattern);
      const failures: string[] = [];
      for (const m of head ? [method, 'HEAD'] : [method]) {
        for (const who of WHO) failures.push(...(await check(entry, m, who)));
      }
      expect(failures).toEqual([]);
    },
  );

  /** Send one case; returns what differs from the entry's expectation. */
  async function check(entry: MatrixEntry, method: string, who: Who): Promise<string[]> {
    const failures: string[] = [];
    const expected = entry.expect[who];
    const req = await entry.request(c);
    const name = `${method} ${req.url} as ${who}`;
    const refused = expected.status >= 400 && !entry.open;
    const before = refused ? await snapshot(t) : null;
    let res;
    if (who === 'anonymous') {
      res = await anon(t, method as 'GET', req.url, req.body);
    } else {
      const caller = callers[who];
      const client = req.fresh ? await logIn(t, caller.email, caller.password) : caller.client;
      res = await client.request(method as 'GET', req.url, req.body);
    }
    // only JSON answers carry an error code (an export streams NDJSON, an .ipynb is a file)
    const code = (r: typeof res) =>
      method === 'HEAD' || !String(r.headers['content-type'] ?? '').startsWith('application/json')
        ? ''
        : ((r.json() as { error?: { code: string } }).error?.code ?? '');
    const got = `${res.statusCode} ${code(res)}`.trim();
    const want = `${expected.status} ${method === 'HEAD' ? '' : (expected.code ?? '')}`.trim();
    if (got !== want) failures.push(`${name}: got ${got}, want ${want}`);
    if (expected.hides && method !== 'HEAD') {
      for (const id of [c.ws, c.nb, c.rt.id, c.sid]) {
        if (res.body.includes(id)) failures.push(`${name}: the answer names ${id}`);
      }
    }
    if (before) {
      const after = await snapshot(t);
      for (const table of Object.keys({ ...before, ...after })) {
        if (JSON.stringify(before[table]) !== JSON.stringify(after[table])) {
          failures.push(`${name}: refused, but table ${table} changed`);
        }
      }
    }
    return failures;
  }
});
