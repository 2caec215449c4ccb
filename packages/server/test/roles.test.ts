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

  // Built from the registered routes (not from the table), so a new route without an entry also
  // fails here, as "no entry".
  const cases = () =>
    t.server.routes.flatMap((r) =>
      WHO.map((who) => [`${r.method} ${r.url}`, who, r.method] as const),
    );

  it('answers every route as the matrix says, and refused calls change nothing', async () => {
    const failures: string[] = [];
    for (const [name, who, method] of cases()) {
      const key = entryKey(method, name.slice(name.indexOf(' ') + 1));
      const entry: MatrixEntry | undefined = ROUTE_MATRIX[key];
      if (!entry) {
        failures.push(`${name}: no entry in ROUTE_MATRIX`);
        continue;
      }
      const expected = entry.expect[who];
      const req = await entry.request(c);
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
      const got = `${res.statusCode} ${method === 'HEAD' ? '' : ((res.json() as { error?: { code: string } }).error?.code ?? '')}`;
      const want = `${expected.status} ${method === 'HEAD' ? '' : (expected.code ?? '')}`;
      if (got.trim() !== want.trim()) failures.push(`${name} as ${who}: got ${got}, want ${want}`);
      if (expected.hides && method !== 'HEAD') {
        for (const id of [c.ws, c.nb, c.rt.id, c.sid]) {
          if (res.body.includes(id)) failures.push(`${name} as ${who}: answer names ${id}`);
        }
      }
      if (before) {
        const after = await snapshot(t);
        for (const table of Object.keys({ ...before, ...after })) {
          if (JSON.stringify(before[table]) !== JSON.stringify(after[table])) {
            failures.push(`${name} as ${who}: refused, but table ${table} changed`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
