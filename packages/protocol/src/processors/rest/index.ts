import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { renderTemplate, templateText, type TemplateRef } from '../../templates.js';
import { defineProcessor } from '../manifest.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 9110 token

/** A REST connection: where the API is and how to authenticate to it. */
export const RestConfigSchema = z.object({
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({
      title: 'Base URL',
      description: 'Relative request URLs resolve against it; credentials go only here',
    }),
  auth: z
    .enum(['none', 'bearer', 'basic', 'header'])
    .default('none')
    .meta({ title: 'Authentication' }),
  username: z
    .string()
    .max(256)
    .optional()
    .meta({ title: 'User name', description: 'For basic authentication' }),
  headerName: z
    .string()
    .regex(HEADER_NAME)
    .optional()
    .meta({ title: 'Header name', description: 'For header authentication, e.g. X-API-Key' }),
  headers: z
    .record(z.string().regex(HEADER_NAME), z.string().max(8192))
    .default({})
    .meta({ title: 'Headers', description: 'Sent with every request of this connection' }),
});

/** Write-only fields of a REST connection. */
export const RestSecretsSchema = z.object({
  token: z
    .string()
    .max(16_384)
    .optional()
    .meta({ title: 'Token', description: 'Bearer token or header value' }),
  password: z
    .string()
    .max(1024)
    .optional()
    .meta({ title: 'Password', description: 'For basic authentication' }),
});

/** Parameters of a REST cell besides its request text. */
export const RestParamsSchema = z.object({
  parse: z.enum(['auto', 'json', 'text']).default('auto').meta({
    title: 'Response',
    description: 'auto: JSON when the server says so; arrays of objects become tables',
  }),
  followRedirects: z.boolean().default(true).meta({ title: 'Follow redirects' }),
});

/** A compiled REST request. */
export const RestProgramSchema = z.object({
  method: z.enum(METHODS),
  /** Absolute, or relative to the connection's base URL. */
  url: z.string().min(1).max(65_536),
  headers: z.array(z.tuple([z.string().regex(HEADER_NAME), z.string().max(65_536)])).max(200),
  body: z.string().max(10_000_000).nullable(),
  parse: z.enum(['auto', 'json', 'text']).default('auto'),
  followRedirects: z.boolean().default(true),
});
export type RestProgram = z.infer<typeof RestProgramSchema>;

/**
 * Parse a request in the `.http` file format (VS Code REST Client, JetBrains HTTP client):
 * `METHOD URL` (or just a URL for GET), header lines, a blank line, the body. `#` lines before
 * the request line are comments.
 */
export function parseHttpRequest(
  text: string,
): Pick<RestProgram, 'method' | 'url' | 'headers' | 'body'> {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length && (lines[i]!.trim() === '' || /^\s*(#|\/\/)/.test(lines[i]!))) i++;
  const first = lines[i]?.trim();
  if (!first)
    throw new SpinError('cell.invalid_params', 'write a request: METHOD URL, then headers');
  const m = /^(?:([A-Z]+)\s+)?(\S+)(?:\s+HTTP\/[\d.]+)?$/.exec(first);
  const method = (m?.[1] ?? 'GET') as RestProgram['method'];
  if (!m || !(METHODS as readonly string[]).includes(method)) {
    throw new SpinError(
      'cell.invalid_params',
      `line ${i + 1}: expected "METHOD URL", e.g. GET https://api.example.com/items`,
    );
  }
  const headers: [string, string][] = [];
  for (i++; i < lines.length && lines[i]!.trim() !== ''; i++) {
    const h = /^([^:\s]+)\s*:\s?(.*)$/.exec(lines[i]!);
    if (!h || !HEADER_NAME.test(h[1]!)) {
      throw new SpinError('cell.invalid_params', `line ${i + 1}: expected a header "Name: value"`);
    }
    headers.push([h[1]!, h[2]!.trim()]);
  }
  const body = lines.slice(i + 1).join('\n');
  return { method, url: m[2]!, headers, body: body.trim() === '' ? null : body };
}

function noLineBreaks(value: string, ref: TemplateRef): string {
  if (/[\r\n\0]/.test(value)) {
    throw new SpinError(
      'template.invalid',
      `${ref.raw}: a header value cannot contain line breaks`,
    );
  }
  return value;
}

/** The REST processor: one HTTP request, its status, timing and body (JSON arrays as tables). */
export const manifest = defineProcessor({
  id: 'rest',
  name: 'REST',
  version: '1.0.0',
  description: 'Send an HTTP request; JSON answers become tables or JSON, with status and timing',
  cellType: 'rest',
  editor: {
    language: 'message/http',
    placeholder: 'GET https://api.example.com/items — Shift+Enter to send',
  },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: false,
    schemaBrowse: false,
  },
  needsConnection: false,
  usesTimeRange: false,
  configSchema: RestConfigSchema,
  secretsSchema: RestSecretsSchema,
  paramsSchema: RestParamsSchema,
  programSchema: RestProgramSchema,
  defaults: { source: 'GET /', params: { parse: 'auto', followRedirects: true } },
  compile: (cell) => ({ ...parseHttpRequest(cell.source), ...cell.params }),
  /**
   * URL values are percent-encoded, header values must be one line, and in a JSON body values
   * are JSON-string-escaped (write the reference inside a string: `"name": "{{name}}"`).
   */
  bindTemplates(p, binder) {
    const text = (ref: TemplateRef) => templateText(binder.resolve(ref));
    const json = p.headers.some(([k, v]) => k.toLowerCase() === 'content-type' && /json/i.test(v));
    return {
      ...p,
      url: renderTemplate(p.url, (ref) => encodeURIComponent(text(ref))),
      headers: p.headers.map(([k, v]): [string, string] => [
        k,
        renderTemplate(v, (ref) => noLineBreaks(text(ref), ref)),
      ]),
      body:
        p.body === null
          ? null
          : renderTemplate(p.body, (ref) =>
              json ? JSON.stringify(text(ref)).slice(1, -1) : text(ref),
            ),
    };
  },
});
