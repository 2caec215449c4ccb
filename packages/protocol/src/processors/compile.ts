import type { z } from 'zod';
import { defaultResultVar } from '../cellResult.js';
import type { CellInput } from '../cells.js';
import { SpinError } from '../errors.js';
import type { ProgramBody, ProgramLimits } from '../program.js';
import { templateRefs, type TemplateValue } from '../templates.js';
import { DEFAULT_TIME_RANGE, resolveTimeRange, type TimeRange } from '../timeRange.js';
import { cellTypeInfo, type CellTypeInfo } from './cellTypes.js';

/** What the server knows besides the cell when it compiles (DESIGN.md §1 step 2). */
export interface CellCompileContext {
  /** The notebook's time range; the cell's own `timeRange` overrides it. */
  notebookTimeRange?: TimeRange | undefined;
  limits: ProgramLimits;
  /** Notebook template values (`input` and `static` variables, templateVariables.ts). */
  templateValues?: Readonly<Record<string, TemplateValue>>;
  /** Clock for relative time ranges (tests pin it). */
  now?: number;
}

function issuesText(err: z.ZodError): string {
  return err.issues
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** A cell's params parsed by its type's schema (defaults applied), or `cell.invalid_params`. */
export function parseCellParams(info: CellTypeInfo, params: unknown): Record<string, unknown> {
  const parsed = info.paramsSchema.safeParse(params ?? {});
  if (!parsed.success) {
    throw new SpinError(
      'cell.invalid_params',
      `${info.name} cell parameters: ${issuesText(parsed.error)}`,
    );
  }
  return parsed.data;
}

/**
 * Compile one cell into a program body, driven by the cell-type registry: no switch on cell
 * types. Markdown is not executed; kernel cells become kernel code; processor cells call their
 * manifest's pure `compile` and keep every template reference for the runtime to bind.
 */
export function compileCell(cell: CellInput, ctx: CellCompileContext): ProgramBody {
  const info = cellTypeInfo(cell.type);
  if (!info) throw new SpinError('cell.unknown_type', `unknown cell type "${cell.type}"`);
  const params = parseCellParams(info, cell.params);
  if (info.kind === 'markdown') {
    throw new SpinError('compile.unsupported_cell', `${info.name} cells are not executed`);
  }
  if (info.kind === 'kernel' || !info.manifest) {
    // Kernel source is never templated; the values reach Python as `spin_vars`.
    const vars = ctx.templateValues ?? {};
    return {
      kind: 'kernel',
      kernel: String(params.kernel),
      code: cell.source,
      ...(Object.keys(vars).length ? { vars: { ...vars } } : {}),
    };
  }
  const m = info.manifest;
  const timeRange = resolveTimeRange(
    cell.timeRange ?? ctx.notebookTimeRange ?? DEFAULT_TIME_RANGE,
    ctx.now,
  );
  const connection = cell.connection ?? null;
  const templateValues = ctx.templateValues ?? {};
  const compiled = m.programSchema.safeParse(
    m.compile(
      { source: cell.source, params },
      { timeRange, connection, limits: ctx.limits, templateValues },
    ),
  );
  if (!compiled.success) {
    throw new SpinError(
      'cell.invalid_params',
      `${m.name} cell does not compile: ${issuesText(compiled.error)}`,
    );
  }
  // Only the template values this program refers to travel with it.
  const vars: Record<string, TemplateValue> = {};
  for (const ref of templateRefs(compiled.data)) {
    if (ref.kind === 'var' && Object.hasOwn(templateValues, ref.name)) {
      vars[ref.name] = templateValues[ref.name]!;
    }
  }
  return {
    kind: 'processor',
    processor: m.id,
    connection,
    params: compiled.data,
    timeRange,
    resultVar: cell.resultVar ?? defaultResultVar(cell.id),
    ...(Object.keys(vars).length ? { vars } : {}),
  };
}
