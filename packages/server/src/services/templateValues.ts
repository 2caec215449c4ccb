import {
  assertInputsGiven,
  cellTypeInfo,
  codePythonProgram,
  compileCell,
  NotebookSettingsSchema,
  resolveTemplateValues,
  SpinError,
  type CellInput,
  type ProgramBody,
  type ProgramLimits,
  type TemplateVariable,
  type TimeRange,
} from '@spin/protocol';
import type { NotebookRow } from '../repositories/notebooksRepository.js';

/** What a compile asks for besides the session (compileService's input). */
export interface NotebookCompileInput {
  cell: CellInput;
  timeRange?: TimeRange | undefined;
  /** The client's values of the notebook's `input` variables for this session (untrusted). */
  templateValues?: Readonly<Record<string, unknown>> | undefined;
  /**
   * Set by the server's own variable route only (never from a request body): compile the
   * notebook's `code_python` variable of this name instead of `cell`.
   */
  variable?: string | undefined;
}

/** The notebook's template variable definitions as stored (bad stored data: none). */
export function notebookVariables(notebook: Pick<NotebookRow, 'settings'>): TemplateVariable[] {
  const parsed = NotebookSettingsSchema.safeParse(notebook.settings ?? {});
  return (parsed.success && parsed.data.templateVariables) || [];
}

/**
 * The program body for one compile (DESIGN.md §1 step 2), with the notebook's template
 * variables resolved here: `static` values come from the stored definitions only, `input`
 * values the client sent are checked against theirs (kind, allowed values) and refused with a
 * `template.*` code otherwise, and a `code_python` variable's program is built from its stored
 * code — so no value or code a client makes up reaches a program.
 */
export function compileNotebookProgram(
  notebook: Pick<NotebookRow, 'settings'> | null,
  input: NotebookCompileInput,
  limits: ProgramLimits,
): ProgramBody {
  if (!notebook) throw new SpinError('internal.error', 'compile without a loaded notebook');
  const defs = notebookVariables(notebook);
  if (input.variable !== undefined) {
    const def = defs.find((d) => d.name === input.variable);
    if (!def || def.type !== 'code_python') {
      throw new SpinError(
        'template.unknown_variable',
        `the notebook has no Python template variable "${input.variable}"`,
      );
    }
    return codePythonProgram(def);
  }
  const templateValues = resolveTemplateValues(defs, input.templateValues ?? {});
  if (cellTypeInfo(input.cell.type)?.kind !== 'kernel') {
    assertInputsGiven(defs, templateValues, [input.cell.source, input.cell.params ?? {}]);
  }
  return compileCell(input.cell, {
    notebookTimeRange: input.timeRange,
    limits,
    templateValues,
  });
}
