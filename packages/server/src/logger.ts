import pino, { type DestinationStream, type Logger } from 'pino';
import { errSerializer } from './db/dbErrors.js';

/**
 * Paths pino redacts (STYLE.md: never log secrets, tokens or cookies). Request/response
 * serializers do not log headers or bodies by default; this is the second line of defence.
 */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'headers["x-csrf-token"]',
  'headers["set-cookie"]',
  'body.password',
  'body.token',
  'body.receipt',
  '*.password',
  '*.token',
  '*.receipt',
  '*.csrfToken',
  '*.cookieToken',
];

/**
 * Query parameters that carry one-time credentials: the OAuth authorization response at the
 * SSO callback (`code`, `state`) and implicit-style tokens, should an IdP ever send them.
 */
const SECRET_QUERY_PARAMS = new Set(['code', 'state', 'id_token', 'access_token']);

/** `url` with the values of credential-carrying query parameters replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return SECRET_QUERY_PARAMS.has(name) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** Fastify's request serializer, with {@link redactUrl} applied to the URL. */
function reqSerializer(req: {
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/**
 * The server's pino logger. Errors are serialised without database parameters (cell sources,
 * titles) — see db/dbErrors.ts.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: errSerializer(pino.stdSerializers.err), req: reqSerializer },
  };
  return destination ? pino(options, destination) : pino(options);
}
