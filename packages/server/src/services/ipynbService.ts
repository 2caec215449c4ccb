import {
  notebookToIpynb,
  NotebookTitleSchema,
  parseIpynb,
  serializeIpynb,
  SpinError,
  type IpynbRun,
  type Notebook,
} from '@spin/protocol';
import type { Db } from '../db/connection.js';
import type { GrantFor } from '../policies/authorize.js';
import { cellRunsRepository } from '../repositories/cellRunsRepository.js';
import { notebooksRepository } from '../repositories/notebooksRepository.js';
import type { NotebookService } from './notebookService.js';

/** Title of an imported notebook whose file names none. */
export const DEFAULT_IMPORT_TITLE = 'Imported notebook';

/** An exported notebook file. */
export interface IpynbFile {
  /** A file name for `Content-Disposition`, from the title. */
  fileName: string;
  text: string;
}

/**
 * .ipynb import and export (nbformat 4.5, `@spin/protocol`'s `ipynb.ts` does the format). An
 * import is all or nothing: the file is validated whole before anything is written, so a
 * refused file creates no notebook.
 */
export class IpynbService {
  constructor(
    private readonly db: Db,
    private readonly notebooks: NotebookService,
  ) {}

  /**
   * Create a notebook in `workspaceId` from a parsed .ipynb. `title` (the uploaded file's name,
   * say) wins over the file's own; without either the notebook is "Imported notebook".
   */
  async import(
    grant: GrantFor<'workspace'>,
    workspaceId: string,
    file: unknown,
    title: string | undefined,
  ): Promise<Notebook> {
    const imported = parseIpynb(file);
    const chosen = NotebookTitleSchema.safeParse(title ?? imported.title ?? DEFAULT_IMPORT_TITLE);
    if (!chosen.success) {
      throw new SpinError('notebook.ipynb_invalid', 'the notebook title is empty or too long');
    }
    return this.notebooks.create(
      grant,
      {
        workspaceId,
        title: chosen.data,
        cells: imported.cells,
        settings: imported.settings,
        jupyter: imported.kept,
      },
      'notebook.imported',
    );
  }

  /**
   * The notebook as an nbformat 4.5 file: cells, their latest verified outputs (or the
   * imported ones for cells never run here), and everything an import kept.
   */
  async export(id: string): Promise<IpynbFile> {
    const row = await notebooksRepository.get(this.db, id);
    if (!row) throw new SpinError('notebook.not_found', 'notebook not found');
    const runs = new Map<string, IpynbRun>(
      (await cellRunsRepository.listForNotebook(this.db, id)).map((r) => [
        r.cellId,
        { outputs: r.outputs, executionCount: r.executionCount },
      ]),
    );
    const notebook = notebookToIpynb({
      title: row.title,
      settings: row.settings,
      cells: row.cells,
      runs,
      kept: row.jupyter ?? null,
    });
    return { fileName: fileNameFor(row.title), text: serializeIpynb(notebook) };
  }
}

/** A safe ASCII file name (`Content-Disposition` quoting is easy to get wrong otherwise). */
function fileNameFor(title: string): string {
  const base = title
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._ -]+/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .slice(0, 100);
  return `${base || 'notebook'}.ipynb`;
}
