import {
  BLOB_HEADERS,
  BlobLinePageSchema,
  BlobLineQuerySchema,
  ClientMessageSchema,
  ERROR_STATUS,
  PairRequestSchema,
  RUNTIME_SUBPROTOCOL,
  RuntimeIdentitySchema,
  RuntimeMessageSchema,
  SPIN_VERSION,
  WS_CLOSE,
  errorResponses,
  pruneComponents,
  type ErrorCode,
} from '@spin/protocol';
import { z } from 'zod';

/**
 * The runtime's HTTP API as an OpenAPI 3.0 document, served at `GET /v1/openapi.json`.
 * routes.ts dispatches exactly the operations listed in {@link RUNTIME_OPERATIONS} (plus the
 * WebSocket upgrade, answered by server.ts), and runtime/test/openapi.test.ts checks the two
 * agree and that the answers the runtime really gives are the ones documented here.
 */

type Json = Record<string, unknown>;

/** Body of `GET /healthz`. */
export const RuntimeHealthSchema = z.object({
  status: z.literal('ok'),
  runtimeId: z.string(),
  paired: z.boolean(),
});

/** The error body, as on the server: component `Error` (codes: component `ErrorCode`). */
const ErrorCodeSchema = z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]);
const ErrorSchema = z.object({
  error: z.object({ code: ErrorCodeSchema, message: z.string(), details: z.unknown().optional() }),
});

const components = z.registry<{ id: string; description?: string }>();
components.add(ErrorCodeSchema, { id: 'ErrorCode', description: 'Every stable error code.' });
components.add(ErrorSchema, { id: 'Error', description: 'The body of every error response.' });
components.add(RuntimeHealthSchema, { id: 'RuntimeHealth' });
components.add(RuntimeIdentitySchema, { id: 'RuntimeIdentity' });
components.add(PairRequestSchema, { id: 'PairRequest' });
components.add(BlobLinePageSchema, { id: 'BlobLinePage' });
components.add(ClientMessageSchema, {
  id: 'ClientMessage',
  description: `A message a client sends on the WebSocket (${RUNTIME_SUBPROTOCOL}).`,
});
components.add(RuntimeMessageSchema, {
  id: 'RuntimeMessage',
  description: `A message the runtime sends on the WebSocket (${RUNTIME_SUBPROTOCOL}).`,
});

/** Query parameters of an object schema, each optional (the schema applies when any is sent). */
function queryParameters(schema: z.ZodObject, descriptions: Record<string, string>): Json[] {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as {
    properties: Record<string, Json>;
  };
  return Object.entries(json.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    ...(descriptions[name] ? { description: descriptions[name] } : {}),
    schema: property,
  }));
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string) => ({ 'application/json': { schema: ref(id) } });

type Security = 'none' | 'spinToken' | 'accessToken' | 'metricsToken';

/** One operation of the runtime's API. */
export interface RuntimeOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Security;
  parameters?: Json[];
  requestBody?: Json;
  /** Success responses by status. */
  success: Record<string, Json>;
  /** Every code it answers with besides `internal.error` (added to all). */
  errors: ErrorCode[];
  /** Extensions (the WebSocket's messages). */
  extensions?: Json;
}

const BEARER_ERRORS: ErrorCode[] = ['auth.token_missing', 'auth.token_invalid'];

/**
 * Every operation, keyed `METHOD /path` (OpenAPI path templates). Adding an HTTP endpoint to
 * routes.ts without an entry here fails runtime/test/openapi.test.ts.
 */
export const RUNTIME_OPERATIONS: Readonly<Record<string, RuntimeOperation>> = {
  'GET /healthz': {
    operationId: 'getRuntimeHealth',
    summary: 'Liveness, the runtime id and whether it is paired',
    tags: ['system'],
    security: 'none',
    success: { 200: { description: 'OK', content: json('RuntimeHealth') } },
    errors: [],
  },
  'GET /metrics': {
    operationId: 'getRuntimeMetrics',
    summary: 'Prometheus metrics (off unless SPIN_METRICS_TOKEN is set)',
    tags: ['system'],
    security: 'metricsToken',
    success: {
      200: {
        description: 'Prometheus text exposition format',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
    errors: ['metrics.disabled', ...BEARER_ERRORS],
  },
  'GET /v1/openapi.json': {
    operationId: 'getRuntimeOpenApiDocument',
    summary: 'This OpenAPI 3.0 document',
    tags: ['system'],
    security: 'none',
    success: {
      200: {
        description: 'The OpenAPI document',
        content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
      },
    },
    errors: [],
  },
  'GET /v1/identity': {
    operationId: 'getRuntimeIdentity',
    summary: 'The runtime’s public keys (JWKs), fingerprint, version and kernels',
    description:
      'Public, and readable from any origin: a UI compares the fingerprint with the one the ' +
      'runtime printed at start before it pairs.',
    tags: ['pairing'],
    security: 'none',
    success: { 200: { description: 'OK', content: json('RuntimeIdentity') } },
    errors: [],
  },
  'POST /v1/pair': {
    operationId: 'pairRuntime',
    summary: 'Pair the runtime with a server (its JWKS and allowed origins)',
    description:
      'Needs `SPIN_TOKEN`, checked before the body is read. A paired runtime is paired again ' +
      'only with a pairing grant signed by the server it is paired with ' +
      '(`POST /api/v1/runtimes/{id}/pair-grant` on that server).',
    tags: ['pairing'],
    security: 'spinToken',
    requestBody: { required: true, content: json('PairRequest') },
    success: {
      200: { description: 'Paired: the runtime’s identity', content: json('RuntimeIdentity') },
    },
    errors: [
      ...BEARER_ERRORS,
      'request.invalid',
      'request.malformed_json',
      'request.too_large',
      'runtime.already_paired',
      'runtime.pairing_grant_invalid',
    ],
  },
  'GET /v1/blobs/{id}': {
    operationId: 'getBlob',
    summary: 'Read a spilled output blob: bytes (optionally one Range) or a page of lines',
    description:
      'With `line`/`lines`, a JSON page of lines; otherwise the bytes, all or one ' +
      '`Range: bytes=…` (206). Only blobs of the access token’s own session are found. A blob ' +
      `still being written serves what is written so far (\`${BLOB_HEADERS.complete}: false\`).`,
    tags: ['sessions'],
    security: 'accessToken',
    parameters: [
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
      ...queryParameters(BlobLineQuerySchema, {
        line: 'First line of the page (1-based); asks for a JSON line page',
        lines: 'Lines in the page',
      }),
      {
        name: 'range',
        in: 'header',
        required: false,
        description: 'One byte range, `bytes=start-end`',
        schema: { type: 'string' },
      },
    ],
    success: {
      200: {
        description: 'The blob’s bytes, or (with `line`/`lines`) a page of its lines',
        headers: Object.fromEntries(
          Object.values(BLOB_HEADERS).map((h) => [h, { schema: { type: 'string' } }]),
        ),
        content: {
          'text/plain': { schema: { type: 'string' } },
          'application/json': { schema: ref('BlobLinePage') },
        },
      },
      206: {
        description: 'The requested byte range',
        headers: { 'content-range': { schema: { type: 'string' } } },
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
    errors: [
      ...BEARER_ERRORS,
      'auth.token_expired',
      'envelope.alg_not_allowed',
      'runtime.not_paired',
      'request.invalid',
      'blob.not_found',
      'blob.range_not_satisfiable',
    ],
  },
  'GET /v1/ws': {
    operationId: 'connectRuntimeSocket',
    summary: `Open the runtime WebSocket (subprotocol ${RUNTIME_SUBPROTOCOL})`,
    description:
      `An HTTP/1.1 upgrade offering subprotocol \`${RUNTIME_SUBPROTOCOL}\`. A browser's ` +
      '`Origin` must be one the pairing allowed. After the upgrade the client sends `hello` ' +
      'with an access token from the server (`POST /api/v1/sessions/{sid}/token`) within 10 s, ' +
      'then `attach`, `execute` (programs compiled by the server), `interrupt`, … and, when ' +
      'a program needs newer credentials than the runtime holds, `credentials` with the ' +
      'sealed bundle from the server (`GET /api/v1/runtimes/{id}/credentials`), answered by ' +
      '`credentials_ack`. Messages are JSON text frames: `ClientMessage` from the client, ' +
      '`RuntimeMessage` from the runtime (see `x-spin-websocket`). A refused upgrade answers ' +
      'with the JSON error body.',
    tags: ['sessions'],
    security: 'none',
    parameters: [
      {
        name: 'upgrade',
        in: 'header',
        required: true,
        schema: { type: 'string', enum: ['websocket'] },
      },
      {
        name: 'sec-websocket-protocol',
        in: 'header',
        required: true,
        description: `Must include \`${RUNTIME_SUBPROTOCOL}\``,
        schema: { type: 'string' },
      },
      {
        name: 'origin',
        in: 'header',
        required: false,
        description: 'Sent by browsers; must be an allowed origin',
        schema: { type: 'string' },
      },
    ],
    success: {
      101: {
        description: `Switching protocols to WebSocket, subprotocol ${RUNTIME_SUBPROTOCOL}`,
        headers: {
          'sec-websocket-protocol': { schema: { type: 'string', enum: [RUNTIME_SUBPROTOCOL] } },
        },
      },
    },
    // a plain GET (no upgrade) is an unknown HTTP route
    errors: ['request.invalid', 'auth.origin_not_allowed', 'request.not_found'],
    extensions: {
      'x-spin-websocket': {
        subprotocol: RUNTIME_SUBPROTOCOL,
        clientMessages: ref('ClientMessage'),
        runtimeMessages: ref('RuntimeMessage'),
        closeCodes: WS_CLOSE,
      },
    },
  },
};

const SECURITY: Record<Security, Json[]> = {
  none: [],
  spinToken: [{ spinToken: [] }],
  accessToken: [{ accessToken: [] }],
  metricsToken: [{ metricsToken: [] }],
};

/** zod's null branch of a nullable in the OpenAPI 3.0 target (3.0 has no `null` type). */
const isNullBranch = (s: Json) =>
  s.type === 'null' ||
  (s.nullable === true && Array.isArray(s.enum) && s.enum.length === 1 && s.enum[0] === null);

/** `anyOf: [X, null]` → X with `nullable: true`, the OpenAPI 3.0 spelling. */
function collapseNullable(schema: Json): void {
  const anyOf = schema.anyOf as Json[] | undefined;
  if (!anyOf) return;
  const rest = anyOf.filter((s) => !isNullBranch(s));
  if (rest.length === anyOf.length || rest.length === 0) return;
  delete schema.anyOf;
  const only = rest.length === 1 ? rest[0]! : { anyOf: rest };
  Object.assign(schema, only.$ref ? { allOf: [only] } : only, { nullable: true });
}

function componentSchemas(): Json {
  const { schemas } = z.toJSONSchema(components, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
    override: (ctx) => collapseNullable(ctx.jsonSchema as Json),
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _s, $id: _id, id: _i, ...rest } = schema as Json;
      return [id, rest];
    }),
  );
}

let cached: Json | undefined;

/** The runtime's OpenAPI document (built once). */
export function runtimeOpenApiDocument(): Json {
  if (cached) return cached;
  const paths: Record<string, Json> = {};
  for (const [key, op] of Object.entries(RUNTIME_OPERATIONS)) {
    const [method, path] = key.split(' ') as [string, string];
    paths[path] = {
      ...paths[path],
      [method.toLowerCase()]: {
        operationId: op.operationId,
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        tags: op.tags,
        security: SECURITY[op.security],
        ...(op.parameters ? { parameters: op.parameters } : {}),
        ...(op.requestBody ? { requestBody: op.requestBody } : {}),
        responses: { ...op.success, ...errorResponses(['internal.error', ...op.errors]) },
        ...op.extensions,
      },
    };
  }
  cached = pruneComponents({
    openapi: '3.0.3',
    info: {
      title: 'SPIN runtime',
      version: SPIN_VERSION,
      description:
        'HTTP API of a SPIN runtime (deployed by the customer). Every error answers ' +
        '`{ "error": { "code", "message" } }` (component `Error`) with the status its code ' +
        'maps to. Browsers reach it cross-origin: only origins the pairing allowed get CORS ' +
        'headers, except on `/v1/identity` and `/v1/pair`.',
    },
    tags: [
      { name: 'system', description: 'Health, metrics and this document' },
      { name: 'pairing', description: 'The runtime’s identity and pairing with a server' },
      { name: 'sessions', description: 'The execution WebSocket and spilled output blobs' },
    ],
    paths,
    components: {
      securitySchemes: {
        spinToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The runtime’s `SPIN_TOKEN` (printed at start; for pairing only).',
        },
        accessToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A short-lived access token for one session, issued by the paired server ' +
            '(`POST /api/v1/sessions/{sid}/token`).',
        },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The operator’s `SPIN_METRICS_TOKEN`.',
        },
      },
      schemas: componentSchemas(),
    },
  });
  return cached;
}
