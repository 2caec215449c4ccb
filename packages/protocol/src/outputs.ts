import { z } from 'zod';

/**
 * Cell outputs, following Jupyter's MIME-bundle model (nbformat v4 output types,
 * https://nbformat.readthedocs.io/en/latest/format_description.html#code-cell-outputs).
 */
export const MimeBundleSchema = z.record(z.string(), z.unknown());
export type MimeBundle = z.infer<typeof MimeBundleSchema>;

export const StreamOutputSchema = z.object({
  output_type: z.literal('stream'),
  name: z.enum(['stdout', 'stderr']),
  text: z.string(),
});
export const DisplayDataOutputSchema = z.object({
  output_type: z.literal('display_data'),
  data: MimeBundleSchema,
  metadata: z.record(z.string(), z.unknown()).default({}),
  transient: z.object({ display_id: z.string().optional() }).loose().optional(),
});
export const ExecuteResultOutputSchema = z.object({
  output_type: z.literal('execute_result'),
  execution_count: z.number().int().nullable(),
  data: MimeBundleSchema,
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export const ErrorOutputSchema = z.object({
  output_type: z.literal('error'),
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()),
});

/** One output as stored with a notebook (nbformat-compatible). */
export const OutputSchema = z.discriminatedUnion('output_type', [
  StreamOutputSchema,
  DisplayDataOutputSchema,
  ExecuteResultOutputSchema,
  ErrorOutputSchema,
]);
export type Output = z.infer<typeof OutputSchema>;

/** Final state of one cell execution. */
export const CellStatusSchema = z.enum(['ok', 'error', 'timeout', 'interrupted', 'aborted']);
export type CellStatus = z.infer<typeof CellStatusSchema>;
