import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  SPIN_VERSION,
  errorResponses,
  pruneComponents,
  type ErrorCode,
} from '@spin/protocol';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiComponents } from './components.js';
import {
  API_TAGS,
  UNSAFE_METHODS,
  impliedErrors,
  type DocumentedSuccess,
  type RouteAuth,
} from './describeRoute.js';

type Json = Record<string, unknown>;

/** The security schemes the server accepts (app.ts `onRequest`, systemRoutes `/metrics`). */
export const SECURITY_SCHEMES = {
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The httpOnly session cookie set by sign-in (password, invitation or SSO).',
  },
  csrf: {
    type: 'apiKey',
    in: 'header',
    name: CSRF_HEADER,
    description:
      'With the session cookie on POST, PUT, PATCH and DELETE: the `csrfToken` of the ' +
      'session (returned by sign-in and `GET /api/v1/auth/me`).',
  },
  apiToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'A SPIN API token (`spin_…`, `POST /api/v1/tokens`). A bearer request ignores the ' +
      'cookie and needs no CSRF header.',
  },
  metricsToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator’s `SPIN_METRICS_TOKEN` (Prometheus `authorization`).',
  },
} as const;

/** The OpenAPI security requirement of a route that authenticates as `auth`. */
export function securityFor(auth: RouteAuth, method: string): Json[] {
  const session = UNSAFE_METHODS.has(method) ? { session: [], csrf: [] } : { session: [] };
  switch (auth) {
    case 'none':
      return [];
    case 'optional':
      return [{}, session, { apiToken: [] }];
    case 'user':
      return [session, { apiToken: [] }];
    case 'session':
      return [session];
    case 'metricsToken':
      return [{ metricsToken: [] }];
  }
}

const SUCCESS_TEXT: Record<string, string> = { 200: 'OK', 201: 'Created', 204: 'No content' };

/**
 * A success answer in the form @fastify/swagger copies as it is: `content` with the media
 * type, or `type: 'null'` for no body; headers as JSON Schemas with their description.
 */
function successResponse(success: DocumentedSuccess): Json {
  const headers = success.headers
    ? Object.fromEntries(
        Object.entries(success.headers).map(([name, h]) => [
          name,
          { ...h.schema, description: h.description },
        ]),
      )
    : undefined;
  return {
    description: success.description,
    ...(headers ? { headers } : {}),
    ...(success.contentType
      ? { content: { [success.contentType]: { schema: success.schema ?? { type: 'string' } } } }
      : { type: 'null' }),
  };
}

/** zod's `z.null()` in the OpenAPI 3.0 target: a body-less answer (204). */
function isNullSchema(schema: unknown): boolean {
  const s = schema as { nullable?: unknown; enum?: unknown[] } | null;
  return s?.nullable === true && Array.isArray(s.enum) && s.enum.length === 1 && s.enum[0] === null;
}

/** A JSON success response with a description (the status's reason unless the schema has one). */
function jsonSuccess(status: string, schema: unknown): Json {
  const description =
    (schema as { description?: string } | null)?.description ?? SUCCESS_TEXT[status] ?? 'OK';
  if (isNullSchema(schema)) return { description, type: 'null' };
  return { description, content: { 'application/json': { schema } } };
}

/**
 * The zod provider names a schema's request form `XInput` beside its response form `X` (they
 * differ: a response object allows no other properties). A schema only ever sent (a request
 * body) keeps its own name `X`; only one used both ways has both.
 */
function nameRequestOnlyInputs(document: Json): Json {
  const schemas = ((document.components as Json | undefined)?.schemas ?? {}) as Json;
  const renamed = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : null;
    if (base && !(base in schemas)) renamed.set(name, base);
  }
  const prefix = '#/components/schemas/';
  const out = JSON.parse(JSON.stringify(document), (key, v: unknown) =>
    key === '$ref' && typeof v === 'string' && renamed.has(v.slice(prefix.length))
      ? prefix + renamed.get(v.slice(prefix.length))!
      : v,
  ) as Json;
  const components = out.components as Json;
  components.schemas = Object.fromEntries(
    Object.entries(components.schemas as Json)
      .map(([name, schema]) => [renamed.get(name) ?? name, schema] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return out;
}

/** `XInput` that is the same JSON Schema as `X` (enums, strings) is referred to as `X`. */
function mergeSameInputs(document: Json): Json {
  const prefix = '#/components/schemas/';
  const schemas = ((document.components as Json | undefined)?.schemas ?? {}) as Json;
  const merged = new Map<string, string>();
  const rewrite = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value), (key, v: unknown) =>
      key === '$ref' && typeof v === 'string' && merged.has(v) ? merged.get(v) : v,
    ) as unknown;
  // repeat: an object whose properties were inputs may match once those are merged
  for (let changed = true; changed;) {
    changed = false;
    for (const name of Object.keys(schemas)) {
      const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : null;
      if (!base || !(base in schemas) || merged.has(prefix + name)) continue;
      if (JSON.stringify(rewrite(schemas[name])) === JSON.stringify(rewrite(schemas[base]))) {
        merged.set(prefix + name, prefix + base);
        changed = true;
      }
    }
  }
  return rewrite(document) as Json;
}

/**
 * Components that are "any JSON value" (`TemplateValue`: a string, number, boolean, null, or an
 * array or object of such values). Their exact recursive union is true but unusable: client
 * generators turn it into a type that refers to itself (TypeScript refuses it), so the document
 * says what they are in words and lets any JSON through.
 */
const ANY_JSON = /^TemplateValue(Input|Write)?$/;

function anyJson(document: Json): Json {
  const schemas = (document.components as Json | undefined)?.schemas as Json | undefined;
  for (const name of Object.keys(schemas ?? {})) {
    if (!ANY_JSON.test(name)) continue;
    schemas![name] = {
      description:
        'Any JSON value: a string, number, boolean, null, or an array or object of such values.',
    };
  }
  return document;
}

const zodTransform = createJsonSchemaTransform({
  schemaRegistry: apiComponents,
  skipList: [],
});
const zodTransformObject = createJsonSchemaTransformObject({ schemaRegistry: apiComponents });

/**
 * Parameters are listed one by one in OpenAPI, so a named schema used as a route's whole
 * `params`/`querystring` must be inlined, not referenced: use an unnamed copy of its shape.
 */
function unnamedParameters<T>(schema: T): T {
  if (!schema || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = { ...(schema as Record<string, unknown>) };
  for (const key of ['params', 'querystring', 'headers']) {
    const value = copy[key];
    if (value instanceof z.ZodObject && apiComponents.has(value)) copy[key] = z.object(value.shape);
  }
  return copy as T;
}

/**
 * Route schema → OpenAPI operation: zod schemas become JSON Schema with `$ref`s to the named
 * components, then the `describeRoute` fields become `security` and one error response per
 * status. A route without them is left as it is (openapi.test.ts refuses it).
 */
const transform: NonNullable<FastifyDynamicSwaggerOptions['transform']> = (input) => {
  const out = zodTransform({ ...input, schema: unnamedParameters(input.schema) });
  const source = input.schema as Json | undefined;
  const schema = out.schema as Json | undefined;
  if (!schema || !source || schema.hide || !source['x-spin-auth']) return out;
  const auth = source['x-spin-auth'] as RouteAuth;
  const declared = (source['x-spin-errors'] as ErrorCode[] | undefined) ?? [];
  const success = source['x-spin-success'] as DocumentedSuccess | undefined;
  delete schema['x-spin-auth'];
  delete schema['x-spin-errors'];
  delete schema['x-spin-success'];

  const method = [input.route.method].flat()[0] ?? 'GET';
  const codes = [
    ...impliedErrors({
      method,
      url: input.url,
      auth,
      hasBody: source.body !== undefined,
      hasParams: source.params !== undefined,
      hasQuery: source.querystring !== undefined,
    }),
    ...declared,
  ];
  const response: Json = {};
  for (const [status, body] of Object.entries((schema.response as Json | undefined) ?? {})) {
    response[status] = Number(status) >= 400 ? body : jsonSuccess(status, body);
  }
  if (success) response[String(success.status)] = successResponse(success);
  Object.assign(response, errorResponses(codes));
  schema.response = response;
  schema.security = securityFor(auth, method);
  return out;
};

/**
 * The `@fastify/swagger` options of the control plane's document (`GET /api/v1/openapi.json`).
 */
export const swaggerOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.0.3',
    info: {
      title: 'SPIN control plane',
      version: SPIN_VERSION,
      description:
        'REST API of the SPIN control plane. Every error answers `{ "error": { "code", ' +
        '"message" } }` (component `Error`) with the status its code maps to; each operation ' +
        'lists the codes it can answer with per status. The runtime that executes programs ' +
        'describes its own HTTP API at `GET /v1/openapi.json` on the runtime.',
    },
    tags: Object.entries(API_TAGS).map(([name, description]) => ({ name, description })),
    components: { securitySchemes: SECURITY_SCHEMES },
  },
  transform,
  transformObject: (input) => {
    const document = zodTransformObject(input) as unknown as Json;
    return anyJson(
      nameRequestOnlyInputs(pruneComponents(mergeSameInputs(document))),
    ) as unknown as ReturnType<typeof zodTransformObject>;
  },
};
