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

/** Fastify's request fields, as its default `req` serializer logs them. */
interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * A request URL fit for the logs: the token of an invitation link (`/invite/<token>`, the web
 * UI's accept page) is a bearer secret in the path, so it is masked.
 */
export function loggableUrl(url: string | undefined): string | undefined {
  return url?.replace(/^\/invite\/[^/?#]*/, '/invite/[redacted]');
}

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

/**
 * The server's pino logger. Errors are serialised without database parameters (cell sources,
 * titles) — see db/dbErrors.ts.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      err: errSerializer(pino.stdSerializers.err),
      // Fastify's default request fields, with secrets in the path masked
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: req.url === undefined ? undefined : redactUrl(loggableUrl(req.url)!),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
