import { z } from 'zod';
import { CellIdSchema, CellInputSchema, type CellInput } from './cells.js';
import { SpinError } from './errors.js';
import { NotebookSettingsSchema, type NotebookSettings } from './notebookSettings.js';
import type { Output } from './outputs.js';
import { cellTypeInfo } from './processors/cellTypes.js';
import { StorableStringSchema } from './strings.js';

/**
 * Jupyter notebook files (.ipynb, nbformat 4 — https://nbformat.readthedocs.io/en/latest/
 * format_description.html, JSON schema `nbformat.v4.5.schema.json`) read into SPIN notebooks and
 * written back out.
 *
 * Two rules shape this file:
 * - **Nothing SPIN does not use is lost.** Notebook and cell metadata, attachments, imported
 *   outputs, execution counts and fields this version does not know are kept beside the
 *   notebook ({@link IpynbKept}) and written back on export.
 * - **SPIN's own cells survive Jupyter.** A cell that is neither markdown nor python is written
 *   as a code cell whose `metadata.spin` holds its type, params, connection, result variable and
 *   time range; the notebook's title and settings go to the notebook's `metadata.spin`. Jupyter
 *   keeps unknown metadata, so the file comes back to SPIN with every cell as it was.
 *
 * Export writes what nbformat's own writer writes (keys sorted, one-space indent, multi-line
 * strings split into lines, a final newline), so export → import → export is byte-identical.
 */

/** Largest number of cells an imported notebook may have (the same bound as a save). */
export const IPYNB_MAX_CELLS = 2000;
/** The nbformat minor version export writes (4.5: cell ids). */
export const IPYNB_EXPORT_MINOR = 5;
/** Media type of an exported notebook. */
export const IPYNB_MEDIA_TYPE = 'application/x-ipynb+json';

const JsonObjectSchema = z.record(z.string(), z.unknown());
/** nbformat's `multiline_string`: one string or a list of lines. */
const MultilineSchema = z.union([z.string(), z.array(z.string())]);

/** `application/json` and `application/…+json` hold any JSON; every other MIME type text. */
const JSON_MIME = /^application\/(.*\+)?json$/;

/** nbformat's `mimebundle`. */
const MimeBundleSchema = JsonObjectSchema.superRefine((bundle, ctx) => {
  for (const [mime, value] of Object.entries(bundle)) {
    if (JSON_MIME.test(mime)) continue;
    if (!MultilineSchema.safeParse(value).success) {
      ctx.addIssue({
        code: 'custom',
        path: [mime],
        message: `"${mime}" data must be a string or a list of strings`,
      });
    }
  }
});

const ExecutionCountSchema = z.number().int().min(0).nullable();

/** One output of a code cell (nbformat `output`); unknown fields are kept. */
export const IpynbOutputSchema = z.discriminatedUnion('output_type', [
  z.looseObject({
    output_type: z.literal('execute_result'),
    execution_count: ExecutionCountSchema,
    data: MimeBundleSchema,
    metadata: JsonObjectSchema,
  }),
  z.looseObject({
    output_type: z.literal('display_data'),
    data: MimeBundleSchema,
    metadata: JsonObjectSchema,
  }),
  z.looseObject({ output_type: z.literal('stream'), name: z.string(), text: MultilineSchema }),
  z.looseObject({
    output_type: z.literal('error'),
    ename: z.string(),
    evalue: z.string(),
    traceback: z.array(z.string()),
  }),
]);
export type IpynbOutput = z.infer<typeof IpynbOutputSchema>;

/** Attachments of a markdown or raw cell: a MIME bundle per file name. */
const AttachmentsSchema = z.record(z.string(), MimeBundleSchema);

const cellCommon = {
  /** Required from nbformat 4.5 on; older files get ids on import. */
  id: CellIdSchema.optional(),
  metadata: JsonObjectSchema,
  source: MultilineSchema,
};

/** One cell (nbformat `raw_cell` / `markdown_cell` / `code_cell`); unknown fields are kept. */
export const IpynbCellSchema = z.discriminatedUnion('cell_type', [
  z.looseObject({
    ...cellCommon,
    cell_type: z.literal('code'),
    outputs: z.array(IpynbOutputSchema),
    execution_count: ExecutionCountSchema,
  }),
  z.looseObject({
    ...cellCommon,
    cell_type: z.literal('markdown'),
    attachments: AttachmentsSchema.optional(),
  }),
  z.looseObject({
    ...cellCommon,
    cell_type: z.literal('raw'),
    attachments: AttachmentsSchema.optional(),
  }),
]);
export type IpynbCell = z.infer<typeof IpynbCellSchema>;

/** A notebook file, nbformat 4.x; unknown top-level fields are kept. */
export const IpynbNotebookSchema = z.looseObject({
  nbformat: z.literal(4),
  nbformat_minor: z.number().int().min(0),
  metadata: JsonObjectSchema,
  cells: z.array(IpynbCellSchema).max(IPYNB_MAX_CELLS),
});
export type IpynbNotebook = z.infer<typeof IpynbNotebookSchema>;

/** What SPIN keeps of one imported cell that its own cell model has no place for. */
export const IpynbKeptCellSchema = z.object({
  /** The cell's type in the file (`raw` cells are markdown cells in SPIN). */
  cellType: z.enum(['code', 'markdown', 'raw']),
  /** Cell metadata, without the `spin` key SPIN reads. */
  metadata: JsonObjectSchema,
  attachments: z.record(z.string(), JsonObjectSchema).optional(),
  /** Outputs as the file had them (shown until the cell runs in SPIN). */
  outputs: z.array(JsonObjectSchema).optional(),
  executionCount: z.number().int().nullable().optional(),
  /** Cell fields nbformat 4.5 does not define. */
  extra: JsonObjectSchema.optional(),
});
export type IpynbKeptCell = z.infer<typeof IpynbKeptCellSchema>;

/** What SPIN keeps of an imported file beside the notebook, for export. */
export const IpynbKeptSchema = z.object({
  /** Notebook metadata, without the `spin` key SPIN reads. */
  metadata: JsonObjectSchema,
  /** Top-level fields nbformat 4.5 does not define. */
  extra: JsonObjectSchema.optional(),
  /** Per cell id. */
  cells: z.record(z.string(), IpynbKeptCellSchema),
});
export type IpynbKept = z.infer<typeof IpynbKeptSchema>;

/** What `metadata.spin` of a cell holds: the SPIN fields a Jupyter cell has no place for. */
const SpinCellMetaSchema = z.looseObject({
  cellType: z.string(),
  params: JsonObjectSchema.optional(),
  connection: z.string().nullable().optional(),
  resultVar: z.string().optional(),
  timeRange: z.unknown().optional(),
  linked: z.boolean().optional(),
});

/** What `metadata.spin` of the notebook holds. */
const SpinNotebookMetaSchema = z.looseObject({
  title: z.string().optional(),
  settings: JsonObjectSchema.optional(),
});

/** A file read into SPIN's model. */
export interface ImportedIpynb {
  /** From `metadata.spin.title`, else nbformat's `metadata.title`. */
  title: string | undefined;
  settings: Partial<NotebookSettings>;
  cells: CellInput[];
  kept: IpynbKept;
}

const KNOWN_CELL_KEYS = new Set([
  'id',
  'cell_type',
  'metadata',
  'source',
  'outputs',
  'execution_count',
  'attachments',
]);
const KNOWN_NOTEBOOK_KEYS = new Set(['nbformat', 'nbformat_minor', 'metadata', 'cells']);

function invalid(message: string, issues?: { path: string; message: string }[]): SpinError {
  return new SpinError('notebook.ipynb_invalid', message, issues ? { issues } : undefined);
}

function zodIssues(error: z.ZodError, prefix: (string | number)[] = []) {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))].join('.'),
    message: i.message,
  }));
}

function joinLines(text: string | string[]): string {
  return typeof text === 'string' ? text : text.join('');
}

/** nbformat's `split_lines`: lines with their line ends, so joining gives the text back. */
export function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

function unknownFields(value: Record<string, unknown>, known: Set<string>) {
  const extra = Object.fromEntries(Object.entries(value).filter(([k]) => !known.has(k)));
  return Object.keys(extra).length > 0 ? extra : undefined;
}

function withoutSpin(metadata: Record<string, unknown>): Record<string, unknown> {
  const { spin: _spin, ...rest } = metadata;
  return rest;
}

/** A SPIN cell from a code cell: its `metadata.spin` when it names a cell type this build has. */
function codeCellInput(
  id: string,
  source: string,
  metadata: Record<string, unknown>,
  index: number,
): { input: Record<string, unknown>; usedSpin: boolean } {
  const spin = SpinCellMetaSchema.safeParse(metadata.spin);
  // A cell type this server lacks (an add-on elsewhere) stays a python cell; `metadata.spin`
  // is kept untouched, so exporting gives it back to the server that has the add-on.
  if (!spin.success || !cellTypeInfo(spin.data.cellType)) {
    return { input: { id, type: 'python', source }, usedSpin: false };
  }
  const { cellType, params, connection, resultVar, timeRange, linked } = spin.data;
  if (cellType === 'markdown') {
    throw invalid(`cells.${index}: a code cell cannot be a markdown cell (metadata.spin)`);
  }
  return {
    input: {
      id,
      type: cellType,
      source,
      ...(params !== undefined ? { params } : {}),
      ...(connection !== undefined && connection !== null ? { connection } : {}),
      ...(resultVar !== undefined ? { resultVar } : {}),
      ...(timeRange !== undefined ? { timeRange } : {}),
      ...(linked ? { linked: true } : {}),
    },
    usedSpin: true,
  };
}

/**
 * Read an nbformat 4 notebook (already JSON-parsed and depth-bounded by the caller) into SPIN
 * cells plus what SPIN keeps for export. Throws `notebook.ipynb_version_unsupported` for any
 * other major version and `notebook.ipynb_invalid` (with `issues`) for anything malformed:
 * a schema violation, a duplicate cell id, a source SPIN cannot store.
 */
export function parseIpynb(value: unknown): ImportedIpynb {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('a notebook file is a JSON object');
  }
  const major = (value as Record<string, unknown>).nbformat;
  if (major !== 4) {
    throw new SpinError(
      'notebook.ipynb_version_unsupported',
      `only nbformat 4 notebooks can be imported (this file says nbformat ${JSON.stringify(major ?? null)})`,
    );
  }
  const parsed = IpynbNotebookSchema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw invalid(
      `not a valid nbformat 4 notebook: ${issues[0]?.path}: ${issues[0]?.message}`,
      issues,
    );
  }
  const nb = parsed.data;

  // Files before 4.5 have no cell ids: give them ones that cannot clash with ids present.
  const present = new Set(nb.cells.map((c) => c.id).filter((id): id is string => !!id));
  const seen = new Set<string>();
  let generated = 0;
  const cells: CellInput[] = [];
  const keptCells: Record<string, IpynbKeptCell> = {};
  nb.cells.forEach((cell, index) => {
    let id = cell.id;
    if (id === undefined) {
      do id = `cell-${++generated}`;
      while (present.has(id));
    }
    if (seen.has(id)) throw invalid(`cells.${index}: duplicate cell id "${id}"`);
    seen.add(id);

    const source = joinLines(cell.source);
    let input: Record<string, unknown>;
    let metadata = cell.metadata;
    if (cell.cell_type === 'code') {
      const converted = codeCellInput(id, source, cell.metadata, index);
      input = converted.input;
      if (converted.usedSpin) metadata = withoutSpin(metadata);
    } else {
      input = { id, type: 'markdown', source };
    }
    const checked = CellInputSchema.safeParse(input);
    if (!checked.success) {
      const issues = zodIssues(checked.error, ['cells', index]);
      throw invalid(`${issues[0]?.path}: ${issues[0]?.message}`, issues);
    }
    cells.push(checked.data);

    const extra = unknownFields(cell, KNOWN_CELL_KEYS);
    keptCells[id] = {
      cellType: cell.cell_type,
      metadata,
      ...(cell.cell_type === 'code'
        ? { outputs: cell.outputs, executionCount: cell.execution_count }
        : cell.attachments !== undefined
          ? { attachments: cell.attachments }
          : {}),
      ...(extra ? { extra } : {}),
    };
  });

  const spinMeta = SpinNotebookMetaSchema.safeParse(nb.metadata.spin);
  const rawTitle = spinMeta.success ? spinMeta.data.title : undefined;
  const jupyterTitle = typeof nb.metadata.title === 'string' ? nb.metadata.title : undefined;
  const title = rawTitle ?? jupyterTitle;
  if (title !== undefined && !StorableStringSchema.safeParse(title).success) {
    throw invalid('metadata.title: the title cannot be stored');
  }
  let settings: Partial<NotebookSettings> = {};
  if (spinMeta.success && spinMeta.data.settings !== undefined) {
    const s = NotebookSettingsSchema.partial().safeParse(spinMeta.data.settings);
    if (!s.success) {
      const issues = zodIssues(s.error, ['metadata', 'spin', 'settings']);
      throw invalid(`${issues[0]?.path}: ${issues[0]?.message}`, issues);
    }
    settings = spinMeta.data.settings as Partial<NotebookSettings>;
  }
  const extra = unknownFields(nb, KNOWN_NOTEBOOK_KEYS);
  return {
    title,
    settings,
    cells,
    kept: {
      metadata: spinMeta.success ? withoutSpin(nb.metadata) : nb.metadata,
      ...(extra ? { extra } : {}),
      cells: keptCells,
    },
  };
}

/** The latest SPIN run of a cell, as export needs it. */
export interface IpynbRun {
  outputs: readonly Output[];
  executionCount: number | null | undefined;
}

/** A SPIN output as nbformat writes it: multi-line text split into lines, no transient data. */
export function outputToIpynb(output: Output): Record<string, unknown> {
  const bundle = (data: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(data).map(([mime, v]) => [
        mime,
        typeof v === 'string' && !JSON_MIME.test(mime) ? splitLines(v) : v,
      ]),
    );
  switch (output.output_type) {
    case 'stream':
      return { output_type: 'stream', name: output.name, text: splitLines(output.text) };
    case 'display_data':
      return { output_type: 'display_data', data: bundle(output.data), metadata: output.metadata };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        execution_count: output.execution_count,
        data: bundle(output.data),
        metadata: output.metadata,
      };
    case 'error':
      return { ...output };
  }
}

/**
 * An imported output as SPIN shows it (lines joined); null when SPIN's output model cannot show
 * it (a stream other than stdout/stderr) — it is still kept and exported.
 */
export function outputFromIpynb(output: Record<string, unknown>): Output | null {
  const parsed = IpynbOutputSchema.safeParse(output);
  if (!parsed.success) return null;
  const o = parsed.data;
  const bundle = (data: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(data).map(([mime, v]) => [
        mime,
        JSON_MIME.test(mime) ? v : joinLines(v as string | string[]),
      ]),
    );
  switch (o.output_type) {
    case 'stream':
      return o.name === 'stdout' || o.name === 'stderr'
        ? { output_type: 'stream', name: o.name, text: joinLines(o.text) }
        : null;
    case 'display_data':
      return { output_type: 'display_data', data: bundle(o.data), metadata: o.metadata };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        execution_count: o.execution_count,
        data: bundle(o.data),
        metadata: o.metadata,
      };
    case 'error':
      return { output_type: 'error', ename: o.ename, evalue: o.evalue, traceback: o.traceback };
  }
}

/** The SPIN fields of a cell that Jupyter has no place for, or null when it has none. */
function spinCellMeta(cell: CellInput): Record<string, unknown> | null {
  const extra = {
    ...(cell.params !== undefined ? { params: cell.params } : {}),
    ...(cell.connection !== undefined && cell.connection !== null
      ? { connection: cell.connection }
      : {}),
    ...(cell.resultVar !== undefined ? { resultVar: cell.resultVar } : {}),
    ...(cell.timeRange !== undefined ? { timeRange: cell.timeRange } : {}),
    ...(cell.linked ? { linked: true } : {}),
  };
  if (cell.type === 'python' && Object.keys(extra).length === 0) return null;
  return { cellType: cell.type, ...extra };
}

/** A notebook as export needs it. */
export interface IpynbExportInput {
  title: string;
  settings: Partial<NotebookSettings>;
  cells: readonly CellInput[];
  /** Latest verified run per cell id: its outputs replace the imported ones. */
  runs: ReadonlyMap<string, IpynbRun>;
  kept: IpynbKept | null;
}

/** Build the nbformat 4.5 notebook of a SPIN notebook (serialise with {@link serializeIpynb}). */
export function notebookToIpynb(input: IpynbExportInput): Record<string, unknown> {
  const cells = input.cells.map((cell) => {
    const kept = input.kept?.cells[cell.id];
    const metadata: Record<string, unknown> = { ...(kept?.metadata ?? {}) };
    const source = splitLines(cell.source);
    if (cell.type === 'markdown') {
      return {
        ...kept?.extra,
        id: cell.id,
        cell_type: kept?.cellType === 'raw' ? 'raw' : 'markdown',
        metadata,
        source,
        ...(kept?.attachments !== undefined ? { attachments: kept.attachments } : {}),
      };
    }
    const spin = spinCellMeta(cell);
    if (spin) metadata.spin = spin;
    const run = input.runs.get(cell.id);
    return {
      ...kept?.extra,
      id: cell.id,
      cell_type: 'code',
      metadata,
      source,
      outputs: run ? run.outputs.map(outputToIpynb) : (kept?.outputs ?? []),
      execution_count: run ? (run.executionCount ?? null) : (kept?.executionCount ?? null),
    };
  });
  const spin = {
    title: input.title,
    ...(Object.keys(input.settings).length > 0 ? { settings: input.settings } : {}),
  };
  return {
    ...input.kept?.extra,
    cells,
    metadata: { ...(input.kept?.metadata ?? {}), spin },
    nbformat: 4,
    nbformat_minor: IPYNB_EXPORT_MINOR,
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return sorted;
}

/**
 * The file text, as nbformat's writer makes it (`json.dumps(nb, sort_keys=True, indent=1,
 * ensure_ascii=False)` plus a newline), so a file SPIN writes diffs cleanly against Jupyter's.
 * Values are depth-bounded on the way in, so the recursion here is bounded too.
 */
export function serializeIpynb(notebook: Record<string, unknown>): string {
  return `${JSON.stringify(sortKeys(notebook), null, 1)}\n`;
}
