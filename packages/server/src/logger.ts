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
 * The server's pino logger. Errors are serialised without database parameters (cell sources,
 * titles) — see db/dbErrors.ts.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: errSerializer(pino.stdSerializers.err) },
  };
  return destination ? pino(options, destination) : pino(options);
}
