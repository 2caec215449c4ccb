import { SpinError, toSpinError, type ErrorBody } from '@spin/protocol';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
} from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { dbErrorToSpin } from './db/dbErrors.js';

/** Fastify's own error codes (FST_ERR_*) mapped to SPIN codes. */
const FASTIFY_CODES: Record<string, () => SpinError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new SpinError('request.malformed_json', 'request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new SpinError('request.malformed_json', 'request body is empty but declared as JSON'),
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new SpinError('request.too_large', 'request body is larger than the server accepts'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new SpinError('request.unsupported_media_type', 'send the request body as application/json'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new SpinError('request.invalid', 'content-length does not match the body'),
  FST_ERR_CTP_EMPTY_TYPE: () =>
    new SpinError('request.unsupported_media_type', 'the content-type header is empty'),
  FST_ERR_CTP_INVALID_TYPE: () =>
    new SpinError('request.unsupported_media_type', 'the content-type header is not valid'),
  FST_ERR_BAD_URL: () =>
    new SpinError('request.bad_url', 'the request URL is not valid (bad percent-encoding?)'),
  FST_ERR_NOT_FOUND: () => new SpinError('request.not_found', 'no such route'),
};

/**
 * Any other client error Fastify raises (FST_ERR_* with a 4xx status), by status — so a code
 * Fastify adds later still answers in the one shape with a stable code.
 */
function fastifyClientError(fe: Partial<FastifyError>): SpinError | null {
  const status = fe.statusCode ?? 0;
  if (typeof fe.code !== 'string' || !fe.code.startsWith('FST_') || status < 400 || status > 499) {
    return null;
  }
  if (status === 404) return new SpinError('request.not_found', 'no such route');
  if (status === 413) return new SpinError('request.too_large', 'request is too large');
  if (status === 415) {
    return new SpinError('request.unsupported_media_type', 'send the body as application/json');
  }
  return new SpinError('request.invalid', 'request is invalid');
}

interface Issue {
  path: string;
  message: string;
}

function zodIssues(err: ZodError): Issue[] {
  return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

/**
 * Normalise anything thrown while handling a request into a protocol SpinError. Expected
 * errors keep their code; anything unknown becomes `internal.error` (and is logged as a bug).
 */
export function normalizeError(err: unknown): SpinError {
  if (err instanceof SpinError) return err;
  if (err instanceof ZodError) {
    return new SpinError('request.invalid', 'request is invalid', { issues: zodIssues(err) });
  }
  const fe = err as Partial<FastifyError> | undefined;
  if (fe && hasZodFastifySchemaValidationErrors(fe)) {
    const issues = fe.validation.map((v) => ({
      path: `${fe.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`.replace(
        /\.$/,
        '',
      ),
      message: v.message,
    }));
    const first = issues[0];
    return new SpinError(
      'request.invalid',
      first ? `${first.path}: ${first.message}` : 'request is invalid',
      { issues },
    );
  }
  if (fe && typeof fe.code === 'string' && FASTIFY_CODES[fe.code]) return FASTIFY_CODES[fe.code]!();
  if (fe?.validation) {
    return new SpinError('request.invalid', fe.message ?? 'request is invalid');
  }
  if (err instanceof SyntaxError && fe?.statusCode === 400) {
    return new SpinError('request.malformed_json', 'request body is not valid JSON');
  }
  return (fe && fastifyClientError(fe)) ?? dbErrorToSpin(err) ?? toSpinError(err);
}

/** Fastify error handler: every error response is `{ error: { code, message } }`. */
export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const spin = normalizeError(err);
  if (spin.code === 'internal.error') {
    const detail = isResponseSerializationError(err) ? 'response failed its schema' : undefined;
    request.log.error({ err, detail }, 'unhandled error');
  } else if (!(err instanceof SpinError) && dbErrorToSpin(err)) {
    // a schema should have refused this before the query: worth a look, not an outage
    request.log.warn({ err, code: spin.code }, 'database refused a value');
  } else {
    request.log.info({ code: spin.code }, spin.message);
  }
  const body: ErrorBody = spin.toJSON();
  const retryAfterS = (spin.details as { retryAfterS?: unknown } | undefined)?.retryAfterS;
  if (spin.status === 429 && typeof retryAfterS === 'number') {
    void reply.header('retry-after', String(Math.ceil(retryAfterS))); // RFC 9110 §10.2.3
  }
  void reply.code(spin.status).type('application/json; charset=utf-8').send(body);
}
