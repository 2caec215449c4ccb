import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino censors wherever they appear: the pairing secret, access tokens, program envelopes,
 * authorization headers and cookies must never reach a log (STYLE.md "Errors and boundaries").
 */
export const REDACT_PATHS = [
  'token',
  'spinToken',
  'envelope',
  'bundle',
  'authorization',
  'cookie',
  '*.token',
  '*.spinToken',
  '*.envelope',
  '*.bundle',
  '*.authorization',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** A logger, or a destination to build one on (tests pass a stream to capture output). */
export type LoggerOption = Logger | DestinationStream;

function isLogger(x: LoggerOption): x is Logger {
  return typeof (x as Logger).child === 'function' && typeof (x as Logger).info === 'function';
}

/**
 * Build the runtime's pino logger with redaction applied. `mask`, when given, rewrites each
 * serialised line before it is written (the credential resolver's masker: a secret value that
 * slipped into an error message is replaced there too). A logger passed in is used as it is.
 */
export function createLogger(
  level: string,
  option?: LoggerOption,
  mask?: (line: string) => string,
): Logger {
  if (option && isLogger(option)) return option.child({ component: 'runtime' });
  const opts = {
    level,
    base: { component: 'runtime' },
    redact: { paths: REDACT_PATHS },
    ...(mask ? { hooks: { streamWrite: mask } } : {}),
  };
  return option ? pino(opts, option) : pino(opts);
}
