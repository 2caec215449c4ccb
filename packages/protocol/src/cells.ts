import { z } from 'zod';
import { CellStatusSchema, OutputSchema } from './outputs.js';
import { StorableStringSchema } from './strings.js';

/** Cell types the walking skeleton supports. Integration cells arrive as processors. */
export const CellTypeSchema = z.enum(['markdown', 'python', 'shell']);
export type CellType = z.infer<typeof CellTypeSchema>;

export const CellIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'cell ids are letters, digits, "-" and "_"');

/** Summary of the last run of a cell, as verified by the server from a runtime receipt. */
export const CellRunSchema = z.object({
  jti: z.string(),
  status: CellStatusSchema,
  startedAt: z.string(),
  endedAt: z.string(),
  executionCount: z.number().int().nullable().optional(),
  /** Exit code of a shell cell. */
  exitCode: z.number().int().nullable().optional(),
});
export type CellRun = z.infer<typeof CellRunSchema>;

/** A notebook cell as stored by the server and edited by clients. */
export const CellSchema = z.object({
  id: CellIdSchema,
  type: CellTypeSchema,
  source: z.string().max(1_000_000),
  outputs: z.array(OutputSchema).default([]),
  lastRun: CellRunSchema.nullable().default(null),
});
export type Cell = z.infer<typeof CellSchema>;

/**
 * The editable part of a cell (what a client sends when saving). Sources never hold NUL or
 * unpaired surrogates: no kernel accepts them and the database could not store them.
 */
export const CellInputSchema = z.object({
  id: CellIdSchema,
  type: CellTypeSchema,
  source: StorableStringSchema.max(1_000_000),
});
export type CellInput = z.infer<typeof CellInputSchema>;
