import { BLOB_REF_MIME, BlobRefSchema, type BlobRef, type Output } from '@spin/protocol';

/**
 * A table result cut by the cell's output budget. Past the inline limit the runtime sends the
 * table's remaining pages as text instead of frames — a header line
 * `{"columns":[…],"fromRow":N}`, then one JSON array per row — through the stdout budget, which
 * spills them to a blob on the runtime (`GET /v1/blobs/:id`, see runtime `execution.ts`
 * `spillRows`). The grid holds rows before `fromRow`; this says where the rest went.
 */
export interface TableSpill {
  /** First row of the result that is not in the grid. */
  fromRow: number;
  /** Rows of the whole result when the blob is complete and kept whole, else null. */
  total: number | null;
  /** The stdout blob holding the spilled rows, once its reference has arrived. */
  blob: BlobRef | null;
}

const HEADER = '{"columns":';

const spillHeaders = new WeakMap<
  Output,
  { columns: string[]; fromRow: number; linesBefore: number } | null
>();

function header(output: Output) {
  if (output.output_type !== 'stream' || output.name !== 'stdout') return null;
  const cached = spillHeaders.get(output);
  if (cached !== undefined) return cached;
  let found: { columns: string[]; fromRow: number; linesBefore: number } | null = null;
  const text = output.text;
  const at = text.startsWith(HEADER) ? 0 : text.indexOf('\n' + HEADER) + 1;
  if (at >= 0 && text.startsWith(HEADER, at)) {
    const end = text.indexOf('\n', at);
    try {
      const h = JSON.parse(text.slice(at, end < 0 ? undefined : end)) as unknown;
      const { columns, fromRow } = h as { columns?: unknown; fromRow?: unknown };
      if (
        Array.isArray(columns) &&
        columns.every((c) => typeof c === 'string') &&
        Number.isInteger(fromRow)
      ) {
        let linesBefore = 0;
        for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1))
          linesBefore++;
        found = { columns: columns as string[], fromRow: fromRow as number, linesBefore };
      }
    } catch {
      // not a spill header: ordinary output that happens to look like one
    }
  }
  spillHeaders.set(output, found);
  return found;
}

/**
 * Where the rest of a table result went, when the output budget cut it: the stdout spill
 * whose header names the same columns, and the stdout blob reference if there is one.
 */
export function findTableSpill(
  outputs: readonly Output[],
  columnNames: readonly string[],
): TableSpill | null {
  let spill: ReturnType<typeof header> = null;
  let blob: BlobRef | null = null;
  for (const o of outputs) {
    const h = header(o);
    if (
      h &&
      h.columns.length === columnNames.length &&
      h.columns.every((c, i) => c === columnNames[i])
    ) {
      spill = h;
    }
    if (o.output_type === 'display_data' && BLOB_REF_MIME in o.data) {
      const ref = BlobRefSchema.safeParse(o.data[BLOB_REF_MIME]);
      if (ref.success && ref.data.stream === 'stdout') blob = ref.data;
    }
  }
  if (!spill) return null;
  const total =
    blob && blob.state === 'complete' && blob.droppedBytes === 0
      ? spill.fromRow + blob.lines - spill.linesBefore - 1
      : null;
  return { fromRow: spill.fromRow, total, blob };
}
