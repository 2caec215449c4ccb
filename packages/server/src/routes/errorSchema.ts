import { z } from 'zod';

/** `{ error: { code, message, details? } }` — the body of every error response. */
export const ErrorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
