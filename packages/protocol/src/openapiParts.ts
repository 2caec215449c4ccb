import { ERROR_STATUS, type ErrorCode } from './errors.js';

/**
 * Pieces of the OpenAPI 3.0 documents the server and the runtime publish (their
 * `GET …/openapi.json`), shared so both describe errors the same way.
 */

type Json = Record<string, unknown>;

/** Reference to the `Error` component (`{ error: { code, message, details? } }`). */
export const ERROR_COMPONENT_REF = '#/components/schemas/Error';

const REASONS: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Too large',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  422: 'Unprocessable',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'Bad gateway',
  503: 'Unavailable',
  504: 'Gateway timeout',
};

/**
 * One OpenAPI response per HTTP status for `codes`: its description lists the codes, its
 * schema is the `Error` component narrowed (`allOf`) to exactly those codes, so a generated
 * client types `error.code` per status.
 */
export function errorResponses(codes: readonly ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const code of codes) {
    const status = ERROR_STATUS[code];
    if (status === undefined) throw new Error(`unknown error code ${code}`);
    const set = byStatus.get(status) ?? new Set<ErrorCode>();
    set.add(code);
    byStatus.set(status, set);
  }
  const out: Record<string, Json> = {};
  for (const [status, set] of [...byStatus].sort(([a], [b]) => a - b)) {
    const list = [...set].sort();
    out[String(status)] = {
      description: `${REASONS[status] ?? 'Error'}: ${list.map((c) => `\`${c}\``).join(', ')}`,
      content: {
        'application/json': {
          schema: {
            allOf: [
              { $ref: ERROR_COMPONENT_REF },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    properties: { code: { type: 'string', enum: list } },
                  },
                },
              },
            ],
          },
        },
      },
    };
  }
  return out;
}

const COMPONENT_PREFIX = '#/components/schemas/';

/** Every `$ref` to a component schema in `value`, by name. */
function refsIn(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) refsIn(v, found);
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string' && v.startsWith(COMPONENT_PREFIX)) {
        found.add(decodeURIComponent(v.slice(COMPONENT_PREFIX.length)));
      } else refsIn(v, found);
    }
  }
}

/**
 * Drop the component schemas nothing in `paths` (directly or through other components)
 * references, so the document names what the API uses and nothing else.
 */
export function pruneComponents(document: Json): Json {
  const components = (document.components ?? {}) as Json;
  const schemas = (components.schemas ?? {}) as Record<string, unknown>;
  const keep = new Set<string>();
  const queue = new Set<string>();
  refsIn(document.paths, queue);
  while (queue.size > 0) {
    const [name] = queue;
    queue.delete(name!);
    if (keep.has(name!) || !(name! in schemas)) continue;
    keep.add(name!);
    refsIn(schemas[name!], queue);
  }
  const kept = Object.fromEntries(
    Object.keys(schemas)
      .filter((name) => keep.has(name))
      .sort()
      .map((name) => [name, schemas[name]]),
  );
  return { ...document, components: { ...components, schemas: kept } };
}
