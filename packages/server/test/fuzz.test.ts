import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteInfo } from '../src/index.js';
import {
  ADMIN,
  createNotebook,
  dbKinds,
  fakeRuntime,
  makeReceipt,
  openSession,
  registerRuntime,
  SAMPLE_OUTPUTS,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestServer,
} from './fixtures.js';

/** Runs per route and database; raise it (SPIN_FUZZ_RUNS=2000) for a long soak. */
const RUNS = Number(process.env.SPIN_FUZZ_RUNS ?? 60);

/** Any UTF-16 code units, NUL and unpaired surrogates often. */
const codeUnits = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0xffff }),
      fc.constantFrom(0, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0x0a, 0x22, 0x5c),
      fc.integer({ min: 0x61, max: 0x7a }),
    ),
    { maxLength: 24 },
  )
  .map((units) => String.fromCharCode(...units));

const nastyString = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '\u0000',
      'done\u0000',
      '\ud800',
      'a\udfffb',
      '\ud83d',
      'x\u0000\ud800y',
    ),
  },
  { weight: 3, arbitrary: codeUnits },
  { weight: 1, arbitrary: fc.string() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '%',
      '%00',
      '../../etc/passwd',
      '<script>alert(1)</script>',
      "'; drop table users; --",
      '9'.repeat(400),
      '-1',
      '1e400',
      'null',
    ),
  },
  { weight: 1, arbitrary: fc.constant('x'.repeat(70_000)) },
);

/**
 * Values that look like parts of SPIN requests, so fuzzing gets past the first schema: real
 * ids, cells, outputs and identities with nasty strings in them, or wrong types.
 */
function shapedValues(ids: string[], rt: FakeRuntime) {
  const id = fc.oneof(fc.constantFrom(...ids), nastyString);
  const cell = fc.record({
    id: fc.oneof(fc.constantFrom('c1', 'c2', 'c3'), nastyString),
    type: fc.oneof(fc.constantFrom('python', 'shell', 'markdown'), nastyString),
    source: nastyString,
  });
  const output = fc.oneof(
    fc.record({
      output_type: fc.constant('stream'),
      name: fc.constant('stdout'),
      text: nastyString,
    }),
    fc.record({
      output_type: fc.constant('display_data'),
      data: fc.dictionary(nastyString, fc.jsonValue(), { maxKeys: 3 }),
      metadata: fc.constant({}),
    }),
  );
  const identity = fc.oneof(
    fc.constant(rt.identity),
    fc.record({
      runtimeId: id,
      version: nastyString,
      fingerprint: fc.oneof(fc.constant(rt.identity.fingerprint), nastyString),
      keys: fc.record({
        signing: fc.record({
          kty: fc.constant('OKP'),
          crv: fc.constant('Ed25519'),
          x: nastyString,
          kid: nastyString,
        }),
        encryption: fc.constant(rt.identity.keys.encryption),
      }),
      paired: fc.boolean(),
    }),
  );
  const anything = fc.oneof(
    { weight: 3, arbitrary: nastyString },
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(nastyString, { maxLength: 3 }),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const field = (arb: fc.Arbitrary<unknown>) => fc.oneof({ weight: 5, arbitrary: arb }, anything);
  const pool: Record<string, fc.Arbitrary<unknown>> = {
    title: field(nastyString),
    workspaceId: field(id),
    notebookId: field(id),
    runtimeId: field(id),
    sid: field(id),
    cell: field(cell),
    cells: field(fc.array(cell, { maxLength: 3 })),
    version: field(fc.integer()),
    jtis: field(fc.array(id, { maxLength: 3 })),
    receipt: field(id),
    outputs: field(fc.array(output, { maxLength: 3 })),
    name: field(nastyString),
    url: field(
      fc.oneof(
        fc.constant('http://127.0.0.1:1'),
        nastyString.map((s) => `http://h/${s}`),
      ),
    ),
    identity: field(identity),
    expectedFingerprint: field(fc.constant(rt.identity.fingerprint)),
    allowedOrigins: field(
      fc.array(
        nastyString.map((s) => `http://${s}`),
        { maxLength: 2 },
      ),
    ),
    server: field(fc.record({ issuer: nastyString, jwks: fc.jsonValue({ maxDepth: 2 }) })),
    email: field(
      fc.oneof(
        fc.constant(ADMIN.email),
        nastyString.map((s) => `${s}@x.test`),
      ),
    ),
    password: field(fc.oneof(fc.constant(ADMIN.password), nastyString)),
  };
  /**
   * A body with the route's required keys, some of its optional ones and, now and then, a key
   * it does not know (keys and optionality come from the route's own zod body schema).
   */
  return (shape: Record<string, { safeParse(v: unknown): { success: boolean } }>) => {
    const keys = Object.keys(shape);
    const required = keys.filter((k) => !shape[k]!.safeParse(undefined).success);
    const optional = keys.filter((k) => !required.includes(k));
    return fc
      .tuple(
        fc.subarray(keys.length > 0 ? optional : Object.keys(pool)),
        fc.subarray(Object.keys(pool), { maxLength: 1 }),
        fc.integer({ min: 0, max: 4 }),
      )
      .chain(([some, extra, dice]) =>
        fc.record(
          Object.fromEntries(
            [...required, ...some, ...(dice === 0 ? extra : [])].map((k) => [
              k,
              pool[k] ?? anything,
            ]),
          ),
        ),
      );
  };
}

/** Raw body texts JSON.parse never sees whole: deep, huge, broken. */
const rawBodies = fc.oneof(
  fc.constant('['.repeat(10_000) + ']'.repeat(10_000)),
  fc.constant('{"outputs":' + '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_001)),
  fc.constant(JSON.stringify({ title: 'x'.repeat(2_000_000) })),
  fc.constant('{"title": "unterminated'),
  fc.constant('\u0000'),
  codeUnits,
);

/** A percent-encoding that also works for unpaired surrogates (as their WTF-8 bytes). */
function pct(s: string): string {
  let out = '';
  for (const ch of s) {
    const cu = ch.charCodeAt(0);
    if (ch.length === 1 && cu >= 0xd800 && cu <= 0xdfff) {
      out += [0xe0 | (cu >> 12), 0x80 | ((cu >> 6) & 0x3f), 0x80 | (cu & 0x3f)]
        .map((b) => '%' + b.toString(16).toUpperCase())
        .join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

/** Issue 5 acceptance 3: no input, on any registered route, answers 5xx. */
describe.each(dbKinds)('every route survives arbitrary input (%s)', (kind) => {
  let t: TestServer;
  let rt: FakeRuntime;
  let ids: string[];
  let session: { cookie: string; csrf: string };
  const routes: RouteInfo[] = [];

  /** A fresh admin session, opened through the service (not the throttled login route). */
  async function signIn() {
    const s = await t.server.services.auth.login(ADMIN, 'fuzz-setup');
    return { cookie: s.cookieToken, csrf: s.info.csrfToken };
  }

  beforeAll(async () => {
    t = await startTestServer(kind);
    const admin = await signUpAdmin(t);
    rt = await registerRuntime(admin);
    const nb = (await createNotebook(admin)).id;
    const sid = (await openSession(admin, nb, rt.id)).sid;
    const compiled = await admin.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'c1', type: 'python', source: '1' },
    });
    const jti = compiled.json().jti as string;
    const ws = (await admin.request('GET', '/api/v1/workspaces')).json()[0].id as string;
    ids = [nb, sid, rt.id, jti, ws, admin.user.id, (await fakeRuntime()).id];
    // one valid receipt in the pool: fuzzing may submit it with arbitrary outputs
    ids.push(
      await makeReceipt(
        rt,
        { jti, cell: 'c1', sid, sub: admin.user.id, notebook: nb },
        SAMPLE_OUTPUTS,
      ),
    );
    const seen = new Set<string>();
    for (const r of t.server.routes) {
      const key = `${r.method} ${r.url}`;
      if (seen.has(key)) continue;
      seen.add(key);
      routes.push(r);
    }
    session = await signIn();
  });
  afterAll(() => t.close());

  it('walks the routes Fastify registered, so a new route is fuzzed without a new entry', () => {
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    for (const known of [
      'POST /api/v1/notebooks/:id/compile',
      'POST /api/v1/receipts',
      'POST /api/v1/runtimes/:id/repair',
      'POST /api/v1/runtimes/:id/pair-grant',
      'GET /api/v1/audit',
      'POST /api/v1/auth/login',
      'GET /metrics',
    ]) {
      expect(keys).toContain(known);
    }
    expect(routes.length).toBeGreaterThan(15);
  });

  // Routes are only known once the server runs, so the cases are generated inside one test per
  // route group; a failure names the route and fast-check prints the shrunk counterexample.
  it('answers every route with < 500 for arbitrary params, query strings and bodies', async () => {
    const shaped = shapedValues(ids, rt);
    const param = fc.oneof(fc.constantFrom(...ids), nastyString);
    const query = fc.dictionary(
      fc.oneof(fc.constantFrom('workspaceId', 'limit', 'after'), nastyString),
      fc.oneof(fc.constantFrom(...ids), nastyString, fc.integer().map(String)),
      { maxKeys: 3 },
    );
    const contentType = fc.oneof(
      { weight: 12, arbitrary: fc.constant('application/json') },
      fc.constantFrom(
        'text/plain',
        'application/json; charset=utf-16',
        'application/x-www-form-urlencoded',
        ';;',
      ),
    );
    for (const route of routes) {
      const bodySchema = route.schema?.body as { shape?: Parameters<typeof shaped>[0] } | undefined;
      const body = fc.oneof(
        { weight: 6, arbitrary: shaped(bodySchema?.shape ?? {}).map((v) => ({ json: v })) },
        { weight: 1, arbitrary: fc.jsonValue().map((v) => ({ json: v as unknown })) },
        { weight: 1, arbitrary: rawBodies.map((raw) => ({ raw })) },
        { weight: 1, arbitrary: fc.constant({}) },
      );
      const names = [...route.url.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? '*');
      await fc.assert(
        fc.asyncProperty(
          fc.array(param, { minLength: names.length, maxLength: names.length }),
          query,
          body,
          contentType,
          async (values, q, b, type) => {
            let i = 0;
            const path = route.url.replace(/:(\w+)|\*/g, () => pct(values[i++] ?? ''));
            const qs = Object.entries(q)
              .map(([k, v]) => `${pct(k)}=${pct(v)}`)
              .join('&');
            const withBody = !['GET', 'HEAD'].includes(route.method);
            const payload =
              'raw' in b ? b.raw : 'json' in b ? JSON.stringify(b.json ?? null) : undefined;
            const res = await t.server.app.inject({
              method: route.method as InjectOptions['method'],
              url: qs ? `${path}?${qs}` : path,
              cookies: { spin_session: session.cookie },
              headers: {
                'x-csrf-token': session.csrf,
                ...(withBody && payload !== undefined ? { 'content-type': type } : {}),
              },
              ...(withBody && payload !== undefined ? { payload } : {}),
            });
            if (res.statusCode >= 500) {
              throw new Error(
                `${route.method} ${route.url} → ${res.statusCode} ${res.body.slice(0, 300)}`,
              );
            }
            // logging out ends the session the next runs use
            if (route.url.endsWith('/auth/logout')) session = await signIn();
          },
        ),
        { numRuns: RUNS },
      );
    }
  }, 600_000);
});
