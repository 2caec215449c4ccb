import { SpinError, type Field, type FieldType } from '@spin/protocol';
import {
  RestConfigSchema,
  RestProgramSchema,
  RestSecretsSchema,
} from '@spin/protocol/processors/rest';
import {
  TablePager,
  httpError,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
} from '../sdk.js';

/** Largest response body a REST cell reads; more is cut and said so. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

type Config = ReturnType<typeof RestConfigSchema.parse>;
type Secrets = ReturnType<typeof RestSecretsSchema.parse>;

/** The Authorization-style headers a connection adds. */
export function authHeaders(config: Config, secrets: Secrets): [string, string][] {
  switch (config.auth) {
    case 'bearer':
      return secrets.token ? [['Authorization', `Bearer ${secrets.token}`]] : [];
    case 'basic': {
      const creds = `${config.username ?? ''}:${secrets.password ?? ''}`;
      return [['Authorization', `Basic ${Buffer.from(creds, 'utf8').toString('base64')}`]];
    }
    case 'header':
      return config.headerName && secrets.token ? [[config.headerName, secrets.token]] : [];
    case 'none':
      return [];
  }
}

/**
 * Resolve the request URL and the connection's headers. Credentials and connection headers go
 * only to the connection's own origin, so an absolute URL elsewhere never carries them.
 */
export function target(
  url: string,
  connection: { config: Config; secrets: Secrets } | null,
): { url: URL; headers: [string, string][] } {
  const base = connection?.config.baseUrl;
  let resolved: URL;
  try {
    resolved = base
      ? new URL(url.replace(/^\/(?!\/)/, ''), base.endsWith('/') ? base : `${base}/`)
      : new URL(url);
  } catch {
    throw new SpinError(
      'processor.invalid_params',
      base
        ? `"${url}" is not a URL`
        : `"${url}" is not an absolute URL (relative URLs need a connection with a base URL)`,
    );
  }
  if (resolved.protocol !== 'http:' && resolved.protocol !== 'https:') {
    throw new SpinError(
      'processor.invalid_params',
      `only http and https URLs are supported, not ${resolved.protocol}`,
    );
  }
  const sameOrigin = base !== undefined && new URL(base).origin === resolved.origin;
  const headers =
    connection && sameOrigin
      ? [
          ...Object.entries(connection.config.headers),
          ...authHeaders(connection.config, connection.secrets),
        ]
      : [];
  return { url: resolved, headers };
}

/** The upstream's own explanation from an error body: `error`, `message` or `detail`, else the text. */
export function vendorMessage(body: string): string {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    for (const key of ['error', 'message', 'detail', 'error_description']) {
      const v = j?.[key];
      if (typeof v === 'string') return v;
      if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') {
        return (v as { message: string }).message;
      }
    }
  } catch {
    // not JSON
  }
  return body.slice(0, 500);
}

async function readBody(
  res: Response,
  signal: AbortSignal,
): Promise<{ text: string; cut: boolean }> {
  if (!res.body) return { text: '', cut: false };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  const abort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text: text + decoder.decode(), cut: false };
      bytes += value.byteLength;
      if (bytes > MAX_BODY_BYTES) {
        await reader.cancel();
        return { text: text + decoder.decode(), cut: true };
      }
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

function fieldType(v: unknown): FieldType {
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (v === null || typeof v === 'string') return 'string';
  return 'json';
}

/** JSON arrays of objects become table pages (columns from every row's keys, in first-seen order). */
function tableFrames(
  rows: Record<string, unknown>[],
  frameId: string,
  pageRows: number,
): ProcessorFrame[] {
  const names: string[] = [];
  const types = new Map<string, FieldType>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (!types.has(k)) names.push(k);
      if (!types.has(k) || (types.get(k) === 'string' && v !== null && typeof v !== 'string'))
        types.set(k, fieldType(v));
    }
  }
  const fields: Field[] = names.map((name) => ({ name, type: types.get(name)! }));
  const pager = new TablePager(fields, frameId, pageRows);
  const frames: ProcessorFrame[] = [];
  for (const row of rows) {
    const page = pager.push(names.map((n) => row[n] ?? null));
    if (page) frames.push(page);
  }
  frames.push(pager.end(rows.length));
  return frames;
}

async function send(
  request: ProcessorRequest,
  signal: AbortSignal,
  host: ProcessorHost,
  connection: { config: Config; secrets: Secrets } | null,
): Promise<ProcessorFrame[]> {
  const p = RestProgramSchema.parse(request.params);
  const { url, headers } = target(p.url, connection);
  const started = performance.now();
  let res: Response;
  try {
    res = await host.fetch(url, {
      method: p.method,
      headers: [...headers, ...p.headers],
      ...(p.body !== null ? { body: p.body } : {}),
      redirect: p.followRedirects ? 'follow' : 'manual',
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new SpinError(
      'processor.unavailable',
      `cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    );
  }
  const headersAt = performance.now();
  const { text, cut } = await readBody(res, signal);
  const ms = Math.round(performance.now() - started);
  host.logger.debug(
    { method: p.method, origin: url.origin, status: res.status, ms },
    'rest request',
  );
  if (res.status >= 400) throw httpError(res.status, vendorMessage(text), res.headers);

  const type = res.headers.get('content-type') ?? '';
  const asJson = p.parse === 'json' || (p.parse === 'auto' && /[/+]json\b/i.test(type));
  let parsed: unknown = text;
  if (asJson && text.trim() !== '') {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      if (p.parse === 'json') {
        throw new SpinError(
          'processor.upstream_error',
          `the response is not JSON: ${(err as Error).message}`,
        );
      }
    }
  }
  const status = `HTTP ${res.status} ${res.statusText} · ${ms} ms${type ? ` · ${type.split(';')[0]}` : ''}${cut ? ` · body cut at ${MAX_BODY_BYTES} bytes` : ''}\n`;
  const frames: ProcessorFrame[] = [{ type: 'stream', name: 'stderr', text: status }];
  if (
    Array.isArray(parsed) &&
    parsed.length > 0 &&
    parsed.every((r) => r && typeof r === 'object' && !Array.isArray(r))
  ) {
    frames.push(
      ...tableFrames(
        parsed as Record<string, unknown>[],
        `${request.jti}:body`,
        host.limits.pageRows,
      ),
    );
  } else if (typeof parsed === 'string') {
    if (parsed)
      frames.push({
        type: 'stream',
        name: 'stdout',
        text: parsed.endsWith('\n') ? parsed : `${parsed}\n`,
      });
  } else {
    frames.push({
      type: 'display_data',
      data: {
        'application/json': parsed,
        'text/plain': JSON.stringify(parsed, null, 2).slice(0, 100_000),
      },
    });
  }
  frames.push({
    type: 'raw',
    value: {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: parsed,
      timing: { headersMs: Math.round(headersAt - started), totalMs: ms },
    },
  });
  return frames;
}

/** A REST processor instance for a connection (or none: absolute URLs only). */
export function createRest(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  const conn = connection
    ? {
        config: RestConfigSchema.parse(connection.config),
        secrets: RestSecretsSchema.parse(connection.secrets),
      }
    : null;
  return {
    query: (request, signal) => send(request, signal, host, conn),
    async checkHealth() {
      const base = conn?.config.baseUrl;
      if (!base) return { ok: true, message: 'no base URL: requests use absolute URLs' };
      const { url, headers } = target(base, conn);
      try {
        const res = await host.fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
        await res.body?.cancel();
        if (res.status === 401 || res.status === 403)
          return { ok: false, message: `authentication failed (HTTP ${res.status})` };
        return res.status < 500 ? { ok: true } : { ok: false, message: `HTTP ${res.status}` };
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        return {
          ok: false,
          message: `cannot reach ${url.origin}: ${cause?.code ?? (err as Error).message}`,
        };
      }
    },
    dispose: () => undefined,
  };
}
