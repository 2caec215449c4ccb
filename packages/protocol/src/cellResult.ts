import { z } from 'zod';
import { FieldSchema } from './frames.js';
import { ResolvedTimeRangeSchema } from './timeRange.js';
import type { TemplateValue } from './templates.js';

/**
 * Results as data (DESIGN.md §3): every integration cell sets a session variable to a
 * `CellResult`. In a Python kernel of the same session it is an object with `.df`, `.rows`,
 * `.columns` and `.raw`; in later cells' templates `{{name}}` reads it.
 */

// Python keywords and soft keywords a variable may not be named.
const PYTHON_KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except ' +
    'finally for from global if import in is lambda nonlocal not or pass raise return try while ' +
    'with yield match case type'
  ).split(' '),
);

/** Name of the session variable a cell's result is stored in: a Python identifier. */
export const ResultVarSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,79}$/, 'letters, digits and "_", not starting with a digit')
  .refine((s) => !PYTHON_KEYWORDS.has(s), 'a Python keyword cannot name a variable')
  .refine((s) => !s.startsWith('_spin'), 'names starting with _spin are reserved');

/** The variable a cell's result goes to when the cell names none: derived from its id. */
export function defaultResultVar(cellId: string): string {
  return `cell_${cellId.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** What kind of frames a result was built from (`text`: a command's standard output). */
export const CellResultKindSchema = z.enum(['table', 'timeseries', 'logs', 'text']);
export type CellResultKind = z.infer<typeof CellResultKindSchema>;

/** A cell's result as data: typed columns, rows (row-major, aligned with columns), raw. */
export const CellResultSchema = z.object({
  kind: CellResultKindSchema,
  columns: z.array(FieldSchema),
  rows: z.array(z.array(z.unknown())),
  /** Total rows the processor produced (rows may hold fewer when truncated). */
  rowCount: z.number().int().nonnegative(),
  /** True when rows were cut at the result size limit. */
  truncated: z.boolean(),
  /** The source's own answer where a processor provides one (e.g. Prometheus JSON), or stdout. */
  raw: z.unknown(),
  cell: z.string(),
  processor: z.string(),
  timeRange: ResolvedTimeRangeSchema.optional(),
});
export type CellResult = z.infer<typeof CellResultSchema>;

/**
 * What `{{name}}` means for a CellResult: one row of one column is that value; one column is
 * the list of its values; otherwise the rows as objects. `{{name.rows}}`, `{{name.columns}}`,
 * `{{name.raw}}`, `{{name.rowCount}}` and `{{name.value}}` address the parts.
 */
export function cellResultTemplateValue(
  r: Pick<CellResult, 'columns' | 'rows' | 'raw' | 'rowCount'>,
): { value: TemplateValue; parts: Record<string, TemplateValue> } {
  const names = r.columns.map((c) => c.name);
  const rows = r.rows.map(
    (row) =>
      Object.fromEntries(
        names.map((n, i) => [n, (row[i] ?? null) as TemplateValue]),
      ) as TemplateValue,
  );
  const value: TemplateValue =
    names.length === 1
      ? r.rows.length === 1
        ? ((r.rows[0]![0] ?? null) as TemplateValue)
        : r.rows.map((row) => (row[0] ?? null) as TemplateValue)
      : rows;
  return {
    value,
    parts: {
      value,
      rows,
      columns: names,
      raw: (r.raw ?? null) as TemplateValue,
      rowCount: r.rowCount,
    },
  };
}
