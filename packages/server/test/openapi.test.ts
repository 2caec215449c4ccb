import { ERROR_STATUS, isErrorCode, type ErrorCode } from '@spin/protocol';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedTypes, openApiErrors, typeErrors } from '../../../test/openapiTooling.js';
import { API_TAGS, UNSAFE_METHODS, type RouteAuth } from '../src/openapi/describeRoute.js';
import {
  ADMIN,
  createNotebook,
  logIn,
  signUpAdmin,
  startTestServer,
  type TestServer,
} from './fixtures.js';
import { ROUTE_MATRIX } from './routeMatrix.js';

/**
 * The control plane's OpenAPI document (issue 7) is generated from the registered routes, so
 * these tests walk those routes: a route added without `describeRoute(…)`, or declaring a code
 * that protocol errors.ts does not have, fails here. The document does not depend on the
 * database, so one kind (PGlite) serves.
 */

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Json[];
  responses: Record<string, { description: string; content?: Record<string, { schema: Json }> }>;
}

/** Registered but not an operation: the JSON 404 for every unknown path under /api. */
const NOT_OPERATIONS = new Set(['/api/*']);

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

/** The codes an error response of the document lists (its `allOf` narrowing of `Error`). */
function codesOf(response: Operation['responses'][string] | undefined): string[] {
  const schema = response?.content?.['application/json']?.schema as
    | { allOf?: [Json, { properties: { error: { properties: { code: { enum: string[] } } } } }] }
    | undefined;
  return schema?.allOf?.[1]?.properties.error.properties.code.enum ?? [];
}

/** Every key anywhere in `value`. */
function keysIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => keysIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keysIn(v, out);
    }
  }
  return out;
}

describe('OpenAPI document of the control plane', () => {
  let t: TestServer;
  type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Json } };
  let doc: Doc;
  const described = () =>
    t.server.routes.filter((r) => r.method !== 'HEAD' && !NOT_OPERATIONS.has(r.url));
  const operationOf = (method: string, url: string) =>
    doc.paths[openApiPath(url)]?.[method.toLowerCase()];

  beforeAll(async () => {
    t = await startTestServer('pglite');
    await signUpAdmin(t);
    const res = await t.server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    // the route checks below run on the registered routes even when the document fails
    doc = res.statusCode === 200 ? res.json() : { paths: {}, components: { schemas: {} } };
    if (res.statusCode !== 200) t.logs.push(`openapi.json: ${res.statusCode} ${res.body}`);
  });
  afterAll(() => t.close());

  it('every registered route has describeRoute: operationId, summary, tags, auth, known codes', () => {
    const problems: string[] = [];
    const seen = new Map<string, string>();
    for (const route of described()) {
      const name = `${route.method} ${route.url}`;
      const s = (route.schema ?? {}) as Json;
      const id = s.operationId;
      if (typeof id !== 'string' || !/^[a-z][a-zA-Z0-9]*$/.test(id)) {
        problems.push(`${name}: operationId ${String(id)} is not camelCase`);
      } else if (seen.has(id)) {
        problems.push(`${name}: operationId ${id} is also ${seen.get(id)}`);
      } else seen.set(id, name);
      if (typeof s.summary !== 'string' || s.summary.length < 8) problems.push(`${name}: summary`);
      const tags = s.tags as string[] | undefined;
      if (!tags?.length || !tags.every((tag) => tag in API_TAGS)) {
        problems.push(`${name}: tags ${JSON.stringify(tags)} (known: ${Object.keys(API_TAGS)})`);
      }
      if (!s['x-spin-auth']) problems.push(`${name}: no describeRoute (auth)`);
      const errors = s['x-spin-errors'];
      if (!Array.isArray(errors)) problems.push(`${name}: no describeRoute (errors)`);
      for (const code of (errors ?? []) as unknown[]) {
        if (!isErrorCode(code)) problems.push(`${name}: ${String(code)} is not in errors.ts`);
      }
    }
    expect(problems).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(60);
  });

  it('has each route as an operation with its security and every error response', () => {
    expect(Object.keys(doc.paths).length, 'GET /api/v1/openapi.json failed').toBeGreaterThan(40);
    const problems: string[] = [];
    for (const route of described()) {
      const name = `${route.method} ${route.url}`;
      const s = route.schema as Json;
      const op = operationOf(route.method, route.url);
      if (!op) {
        problems.push(`${name}: not in the document`);
        continue;
      }
      if (op.operationId !== s.operationId) problems.push(`${name}: operationId differs`);
      const security = JSON.stringify(op.security);
      const auth = s['x-spin-auth'] as RouteAuth;
      const session = UNSAFE_METHODS.has(route.method)
        ? '{"session":[],"csrf":[]}'
        : '{"session":[]}';
      const want = {
        none: '[]',
        optional: `[{},${session},{"apiToken":[]}]`,
        user: `[${session},{"apiToken":[]}]`,
        session: `[${session}]`,
        metricsToken: '[{"metricsToken":[]}]',
      }[auth];
      if (security !== want) problems.push(`${name}: security ${security}, want ${want}`);

      const statuses = Object.keys(op.responses).map(Number);
      if (!statuses.some((st) => st < 400)) problems.push(`${name}: no success response`);
      if (!statuses.includes(500)) problems.push(`${name}: no 500 response`);
      const listed = new Set<string>();
      for (const status of statuses.filter((st) => st >= 400)) {
        const response = op.responses[status]!;
        const schema = response.content?.['application/json']?.schema as
          { allOf?: Json[]; $ref?: string } | undefined;
        const ref = schema?.allOf?.[0]?.$ref ?? schema?.$ref;
        if (ref !== '#/components/schemas/Error') {
          problems.push(`${name}: ${status} does not reference Error`);
        }
        for (const code of codesOf(response)) {
          listed.add(code);
          if (ERROR_STATUS[code as ErrorCode] !== status) {
            problems.push(`${name}: ${code} is listed under ${status}`);
          }
          if (!response.description.includes(`\`${code}\``)) {
            problems.push(`${name}: ${status} description does not name ${code}`);
          }
        }
      }
      for (const code of s['x-spin-errors'] as string[]) {
        if (!listed.has(code)) problems.push(`${name}: declared ${code} is not documented`);
      }
      if (['user', 'session'].includes(auth) && !listed.has('auth.unauthenticated')) {
        problems.push(`${name}: a signed-in route without 401 auth.unauthenticated`);
      }
    }
    expect(problems).toEqual([]);
    // the describeRoute fields are turned into OpenAPI, not copied into it
    expect([...keysIn(doc.paths)].filter((k) => k.startsWith('x-spin'))).toEqual([]);
  });

  it('documents every refusal the route × role matrix expects', () => {
    const missing: string[] = [];
    for (const [key, entry] of Object.entries(ROUTE_MATRIX)) {
      const [method, url] = key.split(' ') as [string, string];
      if (NOT_OPERATIONS.has(url)) continue;
      const op = operationOf(method, url);
      for (const [who, outcome] of Object.entries(entry.expect)) {
        if (!outcome.code) continue;
        if (!codesOf(op?.responses[outcome.status]).includes(outcome.code)) {
          missing.push(`${key} as ${who}: ${outcome.status} ${outcome.code}`);
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it('documents the refusals every route really answers bad requests with', async () => {
    const admin = await logIn(t, ADMIN.email, ADMIN.password);
    const undocumented: string[] = [];
    const seen = new Set<string>();
    // logout last: it ends the admin's session
    const routes = described().sort(
      (a, b) => Number(a.url.endsWith('/logout')) - Number(b.url.endsWith('/logout')),
    );
    for (const route of routes) {
      const url = route.url.replace(/:(\w+)/g, 'nope_$1').replace('/api/*', '/api/x');
      const s = route.schema as Json;
      const probes: { who: string; payload?: string }[] = [
        { who: 'anonymous', ...(s.body ? { payload: '{}' } : {}) },
        { who: 'admin', ...(s.body ? { payload: '{}' } : {}) },
        ...(s.body
          ? [
              { who: 'admin', payload: '{"unclosed": ' },
              { who: 'admin', payload: '[[[[' },
            ]
          : []),
      ];
      for (const probe of probes) {
        const res = await t.server.app.inject({
          method: route.method as 'GET',
          url,
          ...(probe.who === 'admin'
            ? { cookies: { spin_session: admin.cookie }, headers: { 'x-csrf-token': admin.csrf } }
            : {}),
          ...(probe.payload !== undefined
            ? {
                payload: probe.payload,
                headers: {
                  'content-type': 'application/json',
                  ...(probe.who === 'admin' ? { 'x-csrf-token': admin.csrf } : {}),
                },
              }
            : {}),
        });
        if (res.statusCode < 400) continue;
        const code = (res.json() as { error: { code: string } }).error.code;
        seen.add(code);
        const op = operationOf(route.method, route.url);
        if (!codesOf(op?.responses[res.statusCode]).includes(code)) {
          undocumented.push(
            `${route.method} ${route.url} (${probe.who} ${probe.payload ?? ''}): ${res.statusCode} ${code}`,
          );
        }
      }
    }
    expect(undocumented).toEqual([]);
    // the probes reach the body parser, validation, sign-in and the resources' 404s
    for (const code of [
      'auth.unauthenticated',
      'request.malformed_json',
      'request.invalid',
      'notebook.not_found',
    ]) {
      expect(seen).toContain(code);
    }
  });

  it('names shared schemas once under components and refers to them with $ref', () => {
    const schemas = doc.components.schemas;
    for (const name of ['Notebook', 'WorkspaceDetail', 'Runtime', 'Member', 'Error', 'ErrorCode']) {
      expect(schemas, name).toHaveProperty(name);
    }
    expect(schemas.ErrorCode).toMatchObject({ enum: Object.keys(ERROR_STATUS) });
    const getNotebook = doc.paths['/api/v1/notebooks/{id}']!.get!;
    expect(getNotebook.responses['200']!.content!['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/Notebook',
    });
    // no component is inlined anywhere: its JSON does not occur in the paths
    const paths = JSON.stringify(doc.paths);
    const inlined = Object.entries(schemas)
      .filter(([, s]) => JSON.stringify(s).length > 200 && paths.includes(JSON.stringify(s)))
      .map(([name]) => name);
    expect(inlined).toEqual([]);
    // and every component is used
    const text = JSON.stringify(doc);
    const unused = Object.keys(schemas).filter(
      (name) => !text.includes(`"#/components/schemas/${name}"`),
    );
    expect(unused).toEqual([]);
  });

  it('is a valid OpenAPI 3.0 document (and the validator refuses a broken one)', async () => {
    expect(await openApiErrors(doc)).toEqual([]);
    const broken = structuredClone(doc);
    delete (broken.paths['/api/v1/notebooks/{id}']!.get as Partial<Operation>).responses;
    expect((await openApiErrors(broken)).length).toBeGreaterThan(0);
  });

  it('generates a typed client (openapi-typescript) that calls operations by their types', async () => {
    const api = await generatedTypes(doc);
    const notFound = codesOf(doc.paths['/api/v1/notebooks/{id}']!.get!.responses['404']);
    expect(notFound).toContain('notebook.not_found');
    const client = (body: string) => `import createClient from 'openapi-fetch';
import type { components, paths } from './api';
const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:8080' });
type Code = components['schemas']['ErrorCode'];
export async function run(id: string, workspaceId: string): Promise<unknown> {
${body}
}
`;
    const good = `
  const created = await client.POST('/api/v1/notebooks', {
    body: { title: 'Incident', workspaceId },
  });
  if (created.error) return created.error.error.code satisfies Code;
  const { data, error, response } = await client.GET('/api/v1/notebooks/{id}', {
    params: { path: { id } },
  });
  if (error) {
    if (response.status === 404) return error.error.code;
    return error.error.message.length;
  }
  const version: number = data.version;
  const title: string = data.title;
  return [title, version, data.cells.map((c) => c.id)];`;
    // the types are real: a wrong path parameter, a misspelt field, a wrong body are refused
    const bad = [
      `await client.GET('/api/v1/notebooks/{id}', { params: { path: { notebook: id } } });`,
      `const { data } = await client.GET('/api/v1/notebooks/{id}', { params: { path: { id } } });
  return data?.titel;`,
      `await client.POST('/api/v1/notebooks', { body: { title: 42, workspaceId } });`,
      `await client.GET('/api/v1/no-such-route', {});`,
      `const c: Code = 'notebook.no_such_code'; return c;`,
    ];
    const files: Record<string, string> = { 'api.ts': api, 'good.ts': client(good) };
    bad.forEach((body, i) => (files[`bad${i}.ts`] = client(`  ${body}\n  return null;`)));
    const errors = await typeErrors(files);
    expect(errors.filter((e) => !/^bad\d\.ts: /.test(e))).toEqual([]);
    for (const [i, body] of bad.entries()) {
      expect(
        errors.some((e) => e.startsWith(`bad${i}.ts: `)),
        body,
      ).toBe(true);
    }
  });

  it('a client built on the document reaches the server: data and documented error codes', async () => {
    const admin = await logIn(t, ADMIN.email, ADMIN.password);
    const notebook = await createNotebook(admin, 'Through the document');
    // openapi-fetch over the real app (inject), signed in with the session cookie
    const client = createClient<never>({
      baseUrl: 'http://spin.test',
      fetch: async (input: Request) => {
        const url = new URL(input.url);
        const res = await t.server.app.inject({
          method: input.method as 'GET',
          url: url.pathname + url.search,
          cookies: { spin_session: admin.cookie },
          headers: { 'x-csrf-token': admin.csrf },
        });
        return new Response(res.body, {
          status: res.statusCode,
          headers: res.headers as Record<string, string>,
        });
      },
    });
    const get = client.GET as unknown as (
      path: string,
      init: { params: { path: Record<string, string> } },
    ) => Promise<{
      data?: { title: string };
      error?: { error: { code: string } };
      response: Response;
    }>;
    const ok = await get('/api/v1/notebooks/{id}', { params: { path: { id: notebook.id } } });
    expect(ok.data?.title).toBe('Through the document');
    const missing = await get('/api/v1/notebooks/{id}', { params: { path: { id: 'nb_nope' } } });
    expect(missing.response.status).toBe(404);
    const documented = codesOf(doc.paths['/api/v1/notebooks/{id}']!.get!.responses['404']);
    expect(documented).toContain(missing.error?.error.code);
  });
});
