import { ERROR_STATUS, type ErrorCode } from '@spin/protocol';
import { z } from 'zod';

/** Every stable error code (protocol errors.ts), as a schema: component `ErrorCode`. */
export const ErrorCodeSchema = z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]);

/** `{ error: { code, message, details? } }` — the body of every error response. */
export const ErrorResponseSchema = z.object({
  error: z.object({ code: ErrorCodeSchema, message: z.string(), details: z.unknown().optional() }),
});
