import type { ErrorCode } from '@spin/protocol';

/**
 * OpenAPI metadata of one route, written beside it (see {@link describeRoute}). What a route
 * says here is documentation only: handlers, validation and serialisation do not read it.
 */

/** The tags of the control plane's API; each operation has at least one. */
export const API_TAGS = {
  system: 'Health, version, public keys, metrics and this document',
  auth: 'Sign-up, sign-in (password and OpenID Connect), sessions and passwords',
  workspaces: 'Workspaces: settings, nesting, archive and delete',
  members: 'Workspace members and invitations by link',
  notebooks: 'Notebooks, cells, kept versions, tags, search and .ipynb import/export',
  runtimes: 'Paired runtimes: registration, re-pairing and pairing grants',
  execution: 'Compiling cells, execution sessions, runtime access tokens and receipts',
  audit: 'The keyed audit chain: entries, export and verification',
  tokens: 'API tokens (personal, agent, oneshot) for `Authorization: Bearer`',
  connections:
    'Connections of processors (databases, APIs): config, write-only fields and health checks',
  secrets: 'Secrets (values write-only) and the sealed credential bundle a runtime receives',
} as const;
export type ApiTag = keyof typeof API_TAGS;

/**
 * Who may call a route:
 * - `none`: anyone; no credentials are read (`security: []`);
 * - `optional`: anyone, but a session cookie or API token is used when sent (so a cookie
 *   needs the CSRF header on unsafe methods);
 * - `user`: a signed-in user — a session cookie (plus the `x-csrf-token` header on unsafe
 *   methods) or an API token as `Authorization: Bearer`;
 * - `session`: a signed-in user by session cookie only (an API token is refused);
 * - `metricsToken`: the operator's `SPIN_METRICS_TOKEN` as a bearer token.
 */
export type RouteAuth = 'none' | 'optional' | 'user' | 'session' | 'metricsToken';

/** A success answer that is not the route's JSON response schema (a file, a redirect). */
export interface DocumentedSuccess {
  status: number;
  description: string;
  /** Media type of the body; none for a body-less answer such as a redirect. */
  contentType?: string;
  /** JSON Schema of the body (default: any string of the media type). */
  schema?: Record<string, unknown>;
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>;
}

/** What {@link describeRoute} takes. */
export interface RouteDoc {
  /** Unique, camelCase: what a generated client calls the method (`getNotebook`). */
  operationId: string;
  /** One line, imperative mood (`Read a notebook`). */
  summary: string;
  description?: string;
  tags: readonly [ApiTag, ...ApiTag[]];
  /** Default `user`. */
  auth?: RouteAuth;
  /**
   * Every stable code the route's own checks and services can answer with. Codes implied by
   * the route's shape are added for you (see {@link impliedErrors}): `internal.error`; request
   * validation for routes with a body, params or query; sign-in, API-token and CSRF refusals
   * for authenticated routes.
   */
  errors: readonly ErrorCode[];
  /** A success answer not described by the route's `response` schema. */
  success?: DocumentedSuccess;
}

/** The route-schema fields {@link describeRoute} produces. */
export interface RouteSchemaDoc {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  'x-spin-auth': RouteAuth;
  'x-spin-errors': readonly ErrorCode[];
  'x-spin-success'?: DocumentedSuccess;
}

declare module 'fastify' {
  interface FastifySchema {
    'x-spin-auth'?: RouteAuth;
    'x-spin-errors'?: readonly ErrorCode[];
    'x-spin-success'?: DocumentedSuccess;
  }
}

/**
 * The OpenAPI fields of a route's `schema`, to spread into it beside `body`/`params`/`response`:
 *
 * ```ts
 * app.get('/notebooks/:id', {
 *   schema: {
 *     ...describeRoute({ operationId: 'getNotebook', summary: 'Read a notebook',
 *       tags: ['notebooks'], errors: ['notebook.not_found', 'auth.permission_required'] }),
 *     params: IdParams,
 *     response: { 200: NotebookSchema },
 *   },
 * }, handler);
 * ```
 *
 * The document's transform (openapiDocument.ts) turns `auth` into `security` and `errors`
 * (with the implied ones) into one response per HTTP status, each a `$ref` to the `Error`
 * component narrowed to its codes. `openapi.test.ts` fails for a registered route without it.
 */
export function describeRoute(doc: RouteDoc): RouteSchemaDoc {
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [...doc.tags],
    'x-spin-auth': doc.auth ?? 'user',
    'x-spin-errors': doc.errors,
    ...(doc.success ? { 'x-spin-success': doc.success } : {}),
  };
}

/** Methods that change state: a session cookie needs the CSRF header on these. */
export const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Routes a browser reaches before it has a CSRF token (JSON only, so a form cannot post them).
 * app.ts exempts exactly these from the CSRF check.
 */
export const CSRF_EXEMPT: ReadonlySet<string> = new Set([
  '/api/v1/auth/signup',
  '/api/v1/auth/login',
  '/api/v1/invitations/signup',
]);

/** What the document needs to know about a route to add the codes its shape implies. */
export interface RouteShape {
  method: string;
  url: string;
  auth: RouteAuth;
  hasBody: boolean;
  hasParams: boolean;
  hasQuery: boolean;
}

/**
 * Codes every route of this shape can answer with, whatever its handler does: the body
 * parser's refusals, schema validation, the `onRequest` hook's credential checks (app.ts).
 */
export function impliedErrors(shape: RouteShape): ErrorCode[] {
  const codes: ErrorCode[] = ['internal.error'];
  if (shape.hasParams) codes.push('request.bad_url');
  if (shape.hasBody || shape.hasParams || shape.hasQuery) codes.push('request.invalid');
  if (shape.hasBody) {
    codes.push(
      'request.malformed_json',
      'request.too_deep',
      'request.too_large',
      'request.unsupported_media_type',
    );
  }
  const api = shape.url.startsWith('/api/');
  const signedIn = shape.auth === 'user' || shape.auth === 'session';
  if (api && (signedIn || shape.auth === 'optional')) {
    codes.push('token.invalid', 'token.revoked', 'token.expired');
    if (UNSAFE_METHODS.has(shape.method) && !CSRF_EXEMPT.has(shape.url)) {
      codes.push('auth.csrf_failed');
    }
  }
  if (signedIn) codes.push('auth.unauthenticated');
  if (shape.auth === 'metricsToken') codes.push('auth.token_missing', 'auth.token_invalid');
  return codes;
}

/** The 404 code of each resource `authorize` loads (policies/authorize.ts `NOT_FOUND`). */
const NOT_FOUND = {
  workspace: 'request.not_found',
  notebook: 'notebook.not_found',
  session: 'session.not_found',
  program: 'receipt.unknown_program',
  runtime: 'runtime.unknown_runtime',
  connection: 'connection.not_found',
  secret: 'secret.not_found',
} as const satisfies Record<string, ErrorCode>;

/**
 * The codes `authorize(actor, action, resource)` refuses with: for the organisation, a role
 * or an API token that may not; for a resource, its 404 (missing or not visible), the role's
 * 403, a oneshot token's other notebook, and — for writes — an archived workspace.
 */
export function refusals(
  resource: 'org' | keyof typeof NOT_FOUND,
  access: 'read' | 'write' = 'read',
): ErrorCode[] {
  if (resource === 'org') return ['auth.permission_required', 'token.not_allowed'];
  return [
    NOT_FOUND[resource],
    'auth.permission_required',
    'token.not_allowed',
    ...(access === 'write' ? (['workspace.archived'] as const) : []),
  ];
}
