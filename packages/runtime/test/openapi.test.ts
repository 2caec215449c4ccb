import { request as httpRequest } from 'node:http';
import { ERROR_STATUS, RUNTIME_SUBPROTOCOL, type ErrorCode } from '@spin/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedTypes, openApiErrors, typeErrors } from '../../../test/openapiTooling.js';
import { RUNTIME_OPERATIONS } from '../src/http/openapi.js';
import { RUNTIME_ROUTES } from '../src/http/routes.js';
import { WS_PATH } from '../src/http/server.js';
import { METRICS_TOKEN, ORIGIN, pair, startPaired, type Harness } from './fixtures.js';

/**
 * The runtime's own OpenAPI document (issue 7), served at `GET /v1/openapi.json`: it lists
 * exactly the endpoints the runtime dispatches, is valid OpenAPI, generates a usable client,
 * and documents the answers the running runtime really gives.
 */

type Json = Record<string, unknown>;
interface Response {
  description: string;
  content?: Record<string, { schema: Json }>;
  headers?: Json;
}
interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security: Json[];
  responses: Record<string, Response>;
  'x-spin-websocket'?: Json;
}
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Json } };

function codesOf(response: Response | undefined): string[] {
  const schema = response?.content?.['application/json']?.schema as
    | { allOf?: [Json, { properties: { error: { properties: { code: { enum: string[] } } } } }] }
    | undefined;
  return schema?.allOf?.[1]?.properties.error.properties.code.enum ?? [];
}

/** A raw WebSocket upgrade request; the status and body of the refusal (or 101). */
function upgrade(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(`${url}${WS_PATH}`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('OpenAPI document of the runtime', () => {
  let h: Harness;
  let doc: Doc;
  const op = (method: string, path: string) => doc.paths[path]?.[method.toLowerCase()];

  beforeAll(async () => {
    h = await startPaired({ metricsToken: METRICS_TOKEN });
    const res = await fetch(`${h.rt.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  });
  afterAll(() => h.close());

  it('describes exactly the endpoints the runtime dispatches, and the WebSocket', () => {
    const dispatched = [...RUNTIME_ROUTES.map((r) => `${r.method} ${r.path}`), `GET ${WS_PATH}`];
    expect(Object.keys(RUNTIME_OPERATIONS).sort()).toEqual(dispatched.sort());
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(dispatched.sort());
  });

  it('gives every operation an operationId, summary, tags, security and its error codes', () => {
    const problems: string[] = [];
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(ops)) {
        const name = `${method} ${path}`;
        if (!/^[a-z][a-zA-Z0-9]*$/.test(o.operationId) || ids.has(o.operationId)) {
          problems.push(`${name}: operationId ${o.operationId}`);
        }
        ids.add(o.operationId);
        if (!o.summary || !o.tags.length || !Array.isArray(o.security)) {
          problems.push(`${name}: summary/tags/security`);
        }
        if (!codesOf(o.responses['500']).includes('internal.error')) problems.push(`${name}: 500`);
        for (const [status, response] of Object.entries(o.responses)) {
          if (Number(status) < 400) continue;
          const schema = response.content?.['application/json']?.schema as { allOf?: Json[] };
          if (schema?.allOf?.[0]?.$ref !== '#/components/schemas/Error') {
            problems.push(`${name}: ${status} does not reference Error`);
          }
          for (const code of codesOf(response)) {
            if (ERROR_STATUS[code as ErrorCode] !== Number(status)) {
              problems.push(`${name}: ${code} is not a ${status} in errors.ts`);
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(op('POST', '/v1/pair')!.security).toEqual([{ spinToken: [] }]);
    expect(op('GET', '/v1/blobs/{id}')!.security).toEqual([{ accessToken: [] }]);
    expect(op('GET', '/v1/identity')!.security).toEqual([]);
  });

  it('documents the WebSocket upgrade and points to its message schemas', () => {
    const ws = op('GET', WS_PATH)!;
    expect(Object.keys(ws.responses)).toContain('101');
    expect(ws['x-spin-websocket']).toMatchObject({
      subprotocol: RUNTIME_SUBPROTOCOL,
      clientMessages: { $ref: '#/components/schemas/ClientMessage' },
      runtimeMessages: { $ref: '#/components/schemas/RuntimeMessage' },
    });
    // the message unions are components, with the hello that authenticates a socket
    expect(JSON.stringify(doc.components.schemas.ClientMessage)).toContain('"hello"');
    expect(JSON.stringify(doc.components.schemas.RuntimeMessage)).toContain('"welcome"');
    // and the credential bundle a client relays (issue 9), with its acknowledgement
    expect(JSON.stringify(doc.components.schemas.ClientMessage)).toContain('"credentials"');
    expect(JSON.stringify(doc.components.schemas.RuntimeMessage)).toContain('"credentials_ack"');
  });

  it('documents the answers the running runtime gives', async () => {
    const answers: [string, string, Promise<{ status: number; body: string }>][] = [
      ['POST', '/v1/pair', pair(h.rt.url, undefined, {}).then(read)],
      ['POST', '/v1/pair', pair(h.rt.url, 'wrong-token', {}).then(read)],
      ['POST', '/v1/pair', pair(h.rt.url, h.rt.spinToken, { server: {} }).then(read)],
      ['POST', '/v1/pair', pair(h.rt.url, h.rt.spinToken, '{not json').then(read)],
      ['GET', '/v1/blobs/{id}', fetch(`${h.rt.url}/v1/blobs/b1`).then(read)],
      ['GET', '/v1/blobs/{id}', blob('not-a-jwt')],
      ['GET', '/metrics', fetch(`${h.rt.url}/metrics`).then(read)],
      ['GET', WS_PATH, upgrade(h.rt.url, {})],
      [
        'GET',
        WS_PATH,
        upgrade(h.rt.url, {
          'sec-websocket-protocol': RUNTIME_SUBPROTOCOL,
          origin: 'http://evil.test',
        }),
      ],
      ['GET', WS_PATH, fetch(`${h.rt.url}${WS_PATH}`).then(read)],
    ];
    const problems: string[] = [];
    for (const [method, path, answer] of answers) {
      const { status, body } = await answer;
      const code = (JSON.parse(body) as { error: { code: string } }).error.code;
      if (!codesOf(op(method, path)?.responses[String(status)]).includes(code)) {
        problems.push(`${method} ${path}: ${status} ${code} is not documented`);
      }
    }
    expect(problems).toEqual([]);
    // and the successes the document names
    const identity = await fetch(`${h.rt.url}/v1/identity`);
    expect(Object.keys(op('GET', '/v1/identity')!.responses)).toContain(String(identity.status));
    const ok = await upgrade(h.rt.url, {
      'sec-websocket-protocol': RUNTIME_SUBPROTOCOL,
      origin: ORIGIN,
    });
    expect(ok.status).toBe(101);
  });

  it('is a valid OpenAPI 3.0 document and generates a typed client', async () => {
    expect(await openApiErrors(doc)).toEqual([]);
    const api = await generatedTypes(doc);
    const client = (body: string) => `import createClient from 'openapi-fetch';
import type { paths } from './api';
const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:8888' });
export async function run(token: string): Promise<unknown> {
${body}
}
`;
    const good = `
  const { data, error } = await client.GET('/v1/identity');
  if (error) return error.error.code;
  const fingerprint: string = data.fingerprint;
  const paired = await client.POST('/v1/pair', {
    headers: { authorization: \`Bearer \${token}\` },
    body: { server: { issuer: 'http://server.test', jwks: { keys: [] } }, allowedOrigins: [] },
  });
  if (paired.error) return paired.error.error.message;
  return [fingerprint, paired.data.runtimeId];`;
    const bad = [
      `const { data } = await client.GET('/v1/identity'); return data?.fingerprnt;`,
      `await client.POST('/v1/pair', { body: { server: 42 } });`,
      `await client.GET('/v1/blobs/{id}', { params: { path: { blob: token } } });`,
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

  async function blob(token: string) {
    return read(
      await fetch(`${h.rt.url}/v1/blobs/b1`, { headers: { authorization: `Bearer ${token}` } }),
    );
  }
});

async function read(res: globalThis.Response): Promise<{ status: number; body: string }> {
  return { status: res.status, body: await res.text() };
}
