import { z } from 'zod';
import { ResultVarSchema } from './cellResult.js';
import { CellStatusSchema, OutputSchema } from './outputs.js';
import { cellTypeInfo } from './processors/cellTypes.js';
import { TimeRangeSchema } from './timeRange.js';
import { isStorableString, StorableStringSchema, UNSTORABLE_MESSAGE } from './strings.js';

/**
 * A cell's type: a built-in (`markdown`, `python` — any Jupyter kernel) or the cell type of a
 * processor manifest (DESIGN.md §3). Stored cells accept any well-formed name, so a notebook
 * still loads when a processor is missing from this build; saves and compiles require a type
 * this build knows.
 */
export const CellTypeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'cell types are lower-case letters, digits and "_"');
export type CellType = z.infer<typeof CellTypeSchema>;

export const CellIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'cell ids are letters, digits, "-" and "_"');

/** Name of a connection (issue 9 defines connections; cells only name them). */
export const ConnectionNameSchema = z.string().trim().min(1).max(128);

/** Summary of the last run of a cell, as verified by the server from a runtime receipt. */
export const CellRunSchema = z.object({
  jti: z.string(),
  status: CellStatusSchema,
  startedAt: z.string(),
  endedAt: z.string(),
  executionCount: z.number().int().nullable().optional(),
  /** Exit code of a command cell (a processor that reports one). */
  exitCode: z.number().int().nullable().optional(),
});
export type CellRun = z.infer<typeof CellRunSchema>;

/** The editable fields every cell has; `params`, `connection`, `resultVar`, `timeRange` are optional. */
const cellFields = {
  id: CellIdSchema,
  type: CellTypeSchema,
  /** The cell's text: code, a query, a script or markdown. */
  source: z.string().max(1_000_000),
  /** Parameters besides the source, validated by the cell type's `paramsSchema`. */
  params: z.record(z.string(), z.unknown()).optional(),
  /** Connection an integration cell uses (by name). */
  connection: ConnectionNameSchema.nullable().optional(),
  /** Session variable the cell's result is stored in (default: derived from the cell id). */
  resultVar: ResultVarSchema.optional(),
  /** Overrides the notebook's time range for this cell. */
  timeRange: TimeRangeSchema.optional(),
  /**
   * Linked to the cell above: it runs when that one succeeds during a run, and an error stops
   * the chain. Markdown cells cannot be linked (and do not break a chain they sit in).
   */
  linked: z.boolean().optional(),
  /**
   * "Clear outputs": the run (by `jti`, or `imported` for the outputs an imported .ipynb had)
   * whose outputs are no longer shown. The next run shows again.
   */
  outputsCleared: z.string().min(1).max(128).optional(),
};

/** A notebook cell as stored by the server and edited by clients. */
export const CellSchema = z.object({
  ...cellFields,
  outputs: z.array(OutputSchema).default([]),
  lastRun: CellRunSchema.nullable().default(null),
});
export type Cell = z.infer<typeof CellSchema>;

/**
 * The editable part of a cell (what a client sends when saving or compiling): the type must be
 * known and `params` must satisfy the type's parameter schema.
 */
export const CellInputSchema = z
  .object({
    ...cellFields,
    // Sources are stored as text: no NUL or unpaired surrogates (no kernel accepts them either).
    source: StorableStringSchema.max(1_000_000),
  })
  .superRefine((cell, ctx) => {
    if (cell.params !== undefined && !isStorableString(JSON.stringify(cell.params))) {
      ctx.addIssue({ code: 'custom', path: ['params'], message: UNSTORABLE_MESSAGE });
      return;
    }
    const info = cellTypeInfo(cell.type);
    if (!info) {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `unknown cell type "${cell.type}" (this server has no such processor)`,
      });
      return;
    }
    if (cell.linked && info.kind === 'markdown') {
      ctx.addIssue({
        code: 'custom',
        path: ['linked'],
        message: 'markdown cells cannot be linked',
      });
    }
    if (cell.params === undefined) return;
    const parsed = info.paramsSchema.safeParse(cell.params);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({
          code: 'custom',
          path: ['params', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
          message: issue.message,
        });
      }
    }
  });
export type CellInput = z.infer<typeof CellInputSchema>;
