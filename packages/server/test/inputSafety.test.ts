import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT } from '../src/app.js';
import {
  anon,
  createNotebook,
  dbKinds,
  fakeRuntime,
  openSession,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';

const NUL = 'a\u0000b';
const LONE = 'a\ud800b';

/** Send raw bytes over TCP and return the raw response text (the server closes). */
function rawHttp(port: number, request: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    // write, not end: a half-closed socket may be torn down before the server answers
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

function errorOf(raw: string): { status: number; body: { error: { code: string } } } {
  const [head, body] = raw.split('\r\n\r\n');
  return { status: Number(head!.split(' ')[1]), body: JSON.parse(body!) };
}

/**
 * Issue 5 finding 3 and 5: NUL and unpaired surrogates in titles, sources, ids, params, query
 * strings and headers reach a clear 4xx (or are stored faithfully — outputs, see
 * receipts.test.ts); framework errors come in the one `{ error: { code, message } }` shape.
 */
describe.each(dbKinds)('input safety (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let rt: FakeRuntime;
  let nb: string;
  let sid: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    rt = await registerRuntime(admin);
    nb = (await createNotebook(admin)).id;
    sid = (await openSession(admin, nb, rt.id)).sid;
  });
  afterAll(() => t.close());

  const cell = (source: string, id = 'c1') => ({ id, type: 'python', source });

  it.each([NUL, LONE])(
    'refuses %j in titles, cell sources, names and ids with 400',
    async (bad) => {
      const before = (await admin.request('GET', `/api/v1/notebooks/${nb}`)).json();
      const cases: [string, string, unknown][] = [
        ['POST', '/api/v1/notebooks', { title: bad }],
        ['POST', '/api/v1/notebooks', { title: 'ok', cells: [cell(bad)] }],
        ['POST', '/api/v1/notebooks', { title: 'ok', workspaceId: bad }],
        ['PUT', `/api/v1/notebooks/${nb}`, { title: bad }],
        ['PUT', `/api/v1/notebooks/${nb}`, { cells: [cell(bad)] }],
        ['PUT', `/api/v1/notebooks/${nb}`, { cells: [cell('x', bad)] }],
        ['POST', `/api/v1/notebooks/${nb}/compile`, { sid, cell: cell(bad) }],
        ['POST', `/api/v1/notebooks/${nb}/compile`, { sid: bad, cell: cell('1') }],
        ['POST', '/api/v1/sessions', { notebookId: bad, runtimeId: rt.id }],
        ['POST', '/api/v1/sessions', { notebookId: nb, runtimeId: bad }],
        ['POST', `/api/v1/sessions/${sid}/pending-receipts`, { jtis: [bad] }],
        ['POST', '/api/v1/auth/login', { email: `${bad}@x.test`, password: 'whatever-123' }],
        ['POST', '/api/v1/auth/signup', { email: 'n@x.test', password: 'whatever-123', name: bad }],
        [
          'POST',
          '/api/v1/runtimes',
          { name: bad, url: 'http://127.0.0.1:1', identity: (await fakeRuntime()).identity },
        ],
        [
          'POST',
          '/api/v1/runtimes',
          { name: 'n', url: `http://127.0.0.1:1/${bad}`, identity: (await fakeRuntime()).identity },
        ],
        [
          'POST',
          '/api/v1/runtimes',
          {
            name: 'n',
            url: 'http://127.0.0.1:1',
            identity: { ...(await fakeRuntime()).identity, runtimeId: bad },
          },
        ],
        [
          'POST',
          `/api/v1/runtimes/${rt.id}/repair`,
          {
            expectedFingerprint: rt.identity.fingerprint,
            identity: {
              ...rt.identity,
              keys: { ...rt.identity.keys, signing: { ...rt.signing.publicJwk, kid: bad } },
            },
          },
        ],
        ['POST', `/api/v1/runtimes/${rt.id}/pair-grant`, { allowedOrigins: [`http://h/${bad}`] }],
      ];
      for (const [method, url, body] of cases) {
        const res = await admin.request(method as 'POST', url, body);
        expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
        expect(res.json().error.code).toBe('request.invalid');
      }
      expect((await admin.request('GET', `/api/v1/notebooks/${nb}`)).json()).toEqual(before);
    },
  );

  it('refuses NUL and unpaired surrogates in route params and query strings', async () => {
    for (const url of [
      '/api/v1/notebooks/%00',
      `/api/v1/notebooks/${encodeURIComponent('nb_\u0000')}/compile`,
      '/api/v1/sessions/%00/token',
      '/api/v1/runtimes/%00/repair',
      '/api/v1/notebooks?workspaceId=%00',
      '/api/v1/runtimes?workspaceId=%00',
      '/api/v1/audit?limit=%00',
    ]) {
      const method = url.includes('/compile') || url.includes('/token') || url.includes('/repair');
      const res = await admin.request(method ? 'POST' : 'GET', url, method ? {} : undefined);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code, url).toBe('request.invalid');
    }
    // an unpaired surrogate percent-encoded (as CESU-8) is not UTF-8: a bad URL
    for (const url of ['/api/v1/notebooks/%ED%A0%80', '/api/v1/notebooks?workspaceId=%ED%A0%80']) {
      const res = await admin.request('GET', url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code, url).toMatch(/^request\.(bad_url|invalid)$/);
    }
  });

  it('answers framework errors in the one error shape with stable codes', async () => {
    const expectError = (
      res: { statusCode: number; json(): { error: { code: string; message: string } } },
      status: number,
      code: string,
    ) => {
      expect(res.statusCode).toBe(status);
      const body = res.json();
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error.code).toBe(code);
      expect(typeof body.error.message).toBe('string');
    };
    expectError(await admin.request('GET', '/api/v1/notebooks/%E0%A4%A'), 400, 'request.bad_url');
    expectError(await admin.request('GET', '/api/v1/notebooks/%'), 400, 'request.bad_url');
    expectError(await anon(t, 'GET', '/api/v1/nothing/here'), 404, 'request.not_found');
    expectError(await anon(t, 'GET', '/no/such/file.js'), 404, 'request.not_found');
    expectError(await anon(t, 'DELETE', '/healthz'), 404, 'request.not_found');
    const post = (payload: string | Buffer, contentType?: string) =>
      t.server.app.inject({
        method: 'POST',
        url: '/api/v1/notebooks',
        cookies: { spin_session: admin.cookie },
        headers: {
          'x-csrf-token': admin.csrf,
          ...(contentType !== undefined ? { 'content-type': contentType } : {}),
        },
        payload,
      });
    expectError(
      await post('title=x', 'application/x-www-form-urlencoded'),
      415,
      'request.unsupported_media_type',
    );
    expectError(await post('x', 'text/plain'), 415, 'request.unsupported_media_type');
    expectError(await post('x', ';;;'), 415, 'request.unsupported_media_type');
    expectError(await post('{"title":', 'application/json'), 400, 'request.malformed_json');
    expectError(await post('', 'application/json'), 400, 'request.invalid');
    expectError(
      await post('['.repeat(100) + ']'.repeat(100), 'application/json'),
      400,
      'request.too_deep',
    );
    expectError(
      await post(Buffer.alloc(BODY_LIMIT + 1, 0x20), 'application/json'),
      413,
      'request.too_large',
    );
  });

  it('answers requests the HTTP parser refuses (NUL in a header) in the same shape', async () => {
    await t.server.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.server.app.server.address() as { port: number };
    const nulHeader = await rawHttp(
      port,
      Buffer.from(`GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nX-Spin: a\u0000b\r\n\r\n`, 'latin1'),
    );
    expect(errorOf(nulHeader)).toEqual({
      status: 400,
      body: { error: { code: 'request.invalid', message: expect.any(String) } },
    });
    const garbage = await rawHttp(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(errorOf(garbage).body.error.code).toBe('request.invalid');
    // bytes that decode to no valid UTF-8 in a cookie or CSRF header are just a wrong secret
    const cookie = await rawHttp(
      port,
      Buffer.concat([
        Buffer.from(
          'GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: spin_session=',
        ),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('\r\n\r\n'),
      ]),
    );
    expect(errorOf(cookie)).toMatchObject({
      status: 401,
      body: { error: { code: 'auth.unauthenticated' } },
    });
    const csrf = await rawHttp(
      port,
      Buffer.concat([
        Buffer.from(
          `POST /api/v1/notebooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: spin_session=${admin.cookie}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 2\r\nX-CSRF-Token: ',
        ),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('\r\n\r\n{}'),
      ]),
    );
    expect(errorOf(csrf)).toMatchObject({
      status: 403,
      body: { error: { code: 'auth.csrf_failed' } },
    });
  });
});
