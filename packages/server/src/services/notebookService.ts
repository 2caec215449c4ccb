import {
  NotebookSettingsSchema,
  outputFromIpynb,
  SpinError,
  type Cell,
  type CellStatus,
  type CellInput,
  type InsertCellRequest,
  type IpynbKept,
  type MoveCellRequest,
  type Notebook,
  type NotebookPage,
  type NotebookSearchQuery,
  type NotebookVersion,
  type NotebookVersionSummary,
  type Output,
  type PageQuery,
  type UpdateCellRequest,
  type NotebookSettings,
  type NotebookSummary,
} from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';
import { actorId, type UserActor } from '../policies/actor.js';
import type { GrantFor } from '../policies/authorize.js';
import { allowedActions } from '../policies/policies.js';
import { cellRunsRepository, type CellRunRow } from '../repositories/cellRunsRepository.js';
import {
  notebooksRepository,
  type NotebookRow,
  type NotebookSummaryRow,
} from '../repositories/notebooksRepository.js';
import { auditRepository } from '../repositories/auditRepository.js';
import {
  notebookVersionsRepository,
  type NotebookVersionSummaryRow,
} from '../repositories/notebookVersionsRepository.js';
import { workspacesRepository } from '../repositories/workspacesRepository.js';
import { deleteCell, insertCell, moveCell, updateCell } from './cellOperations.js';
import type { AuditService } from './auditService.js';

/** Outputs an imported .ipynb had for a cell, in the form SPIN shows (until the cell runs). */
function importedOutputs(kept: IpynbKept | null, cellId: string): Output[] {
  const outputs = kept?.cells[cellId]?.outputs ?? [];
  return outputs.map(outputFromIpynb).filter((o): o is Output => o !== null);
}

/**
 * Presenter: a notebook row with its cells' latest verified runs, as the API shows it, and
 * what the caller may do with it (from the grant). A cell that never ran in SPIN shows the
 * outputs its imported .ipynb had.
 */
export function presentNotebook(
  row: NotebookRow,
  runs: readonly CellRunRow[],
  allowedActions?: readonly string[],
): Notebook {
  const byCell = new Map(runs.map((r) => [r.cellId, r]));
  const cells: Cell[] = row.cells.map((c) => {
    const latest = byCell.get(c.id);
    // A cleared run shows nothing; an imported notebook's outputs are cleared as `imported`.
    const run = latest && latest.jti === c.outputsCleared ? undefined : latest;
    const imported =
      latest || c.outputsCleared === 'imported' ? [] : importedOutputs(row.jupyter ?? null, c.id);
    return {
      ...cellInput(c),
      outputs: run?.outputs ?? imported,
      lastRun: run
        ? {
            jti: run.jti,
            status: run.status as CellStatus,
            startedAt: run.startedAt.toISOString(),
            endedAt: run.endedAt.toISOString(),
            executionCount: run.executionCount,
            exitCode: run.exitCode,
          }
        : null,
    };
  });
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    title: row.title,
    updatedAt: row.updatedAt.toISOString(),
    cells,
    settings: NotebookSettingsSchema.parse(row.settings ?? {}),
    version: row.version,
    ...(allowedActions ? { allowedActions: [...allowedActions] } : {}),
    tags: row.tags ?? [],
  };
}

/** Presenter: the list form of a notebook. */
export function presentNotebookSummary(row: NotebookSummaryRow): NotebookSummary {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    title: row.title,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The stored fields of a cell: optional ones only when set, so old notebooks read the same. */
function cellInput(c: CellInput): CellInput {
  return {
    id: c.id,
    type: c.type,
    source: c.source,
    ...(c.params !== undefined ? { params: c.params } : {}),
    ...(c.connection !== undefined && c.connection !== null ? { connection: c.connection } : {}),
    ...(c.resultVar !== undefined ? { resultVar: c.resultVar } : {}),
    ...(c.timeRange !== undefined ? { timeRange: c.timeRange } : {}),
    ...(c.linked ? { linked: true } : {}),
    ...(c.outputsCleared !== undefined ? { outputsCleared: c.outputsCleared } : {}),
  };
}

/**
 * The cell inputs to store: ids must be unique. Outputs are not part of a save — they come only
 * from verified receipts (cell_runs) and stay attached to a cell id across edits.
 */
export function normaliseCells(inputs: readonly CellInput[]): CellInput[] {
  const seen = new Set<string>();
  return inputs.map((input) => {
    if (seen.has(input.id)) {
      throw new SpinError('request.invalid', `duplicate cell id "${input.id}"`);
    }
    seen.add(input.id);
    return cellInput(input);
  });
}

/** Workspaces and notebooks. Authorization happens in routes; these are the business rules. */
export class NotebookService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  /**
   * The id of the default workspace (the oldest), created as "Default" when none exists yet —
   * `spin start` registers its local runtime there before anyone has signed up, and the first
   * user becomes its owner.
   */
  async ensureDefaultWorkspace(): Promise<string> {
    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      await auditRepository.lockForAppend(tx);
      const existing = await workspacesRepository.oldest(tx);
      if (existing) return existing.id;
      const id = newId('ws');
      await workspacesRepository.insert(tx, { id, name: 'Default' });
      return id;
    });
  }

  /**
   * The caller's first workspace (the default target for new notebooks): the oldest one the
   * caller is a direct member of, else (org admins) the oldest of all.
   */
  async defaultWorkspaceId(actor: UserActor): Promise<string> {
    // an API token works in its one workspace
    if (actor.token) return actor.token.workspaceId;
    const [first] = await workspacesRepository.listForUser(this.db, actor.userId);
    const fallback = actor.orgRole === 'admin' ? await workspacesRepository.oldest(this.db) : null;
    const id = first?.id ?? fallback?.id;
    if (!id) throw new SpinError('request.not_found', 'you are not a member of any workspace');
    return id;
  }

  async list(workspaceId: string): Promise<NotebookSummary[]> {
    return (await notebooksRepository.listByWorkspace(this.db, workspaceId)).map(
      presentNotebookSummary,
    );
  }

  /** The notebook the grant loaded, with its runs and the caller's allowed actions. */
  async get(grant: GrantFor<'notebook'>): Promise<Notebook> {
    const row = grant.notebook;
    const runs = await cellRunsRepository.listForNotebook(this.db, row.id);
    return presentNotebook(row, runs, grant.allowedActions);
  }

  async create(
    grant: GrantFor<'workspace'>,
    input: {
      workspaceId: string;
      title: string;
      cells?: CellInput[] | undefined;
      settings?: Partial<NotebookSettings> | undefined;
      /** What an imported .ipynb keeps for export. */
      jupyter?: IpynbKept | undefined;
    },
    /** The audit action: `notebook.created`, or `notebook.imported` for an .ipynb import. */
    action: 'notebook.created' | 'notebook.imported' = 'notebook.created',
  ): Promise<Notebook> {
    const row = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const created = await notebooksRepository.insert(tx, {
        id: newId('nb'),
        workspaceId: input.workspaceId,
        title: input.title,
        cells: normaliseCells(input.cells ?? []),
        settings: input.settings ?? {},
        version: 0,
        createdBy: grant.actor.userId,
        ...(input.jupyter ? { jupyter: input.jupyter } : {}),
      });
      await notebookVersionsRepository.insert(tx, {
        notebookId: created.id,
        version: created.version,
        title: created.title,
        cells: created.cells,
        settings: created.settings,
        savedBy: grant.actor.userId,
      });
      await this.audit.append(
        {
          actor: actorId(grant.actor),
          workspaceId: created.workspaceId,
          action,
          subject: created.id,
          data: { workspaceId: created.workspaceId, title: created.title },
        },
        tx,
      );
      return created;
    });
    // The creator's actions on a new notebook are those their workspace role gives.
    return presentNotebook(row, [], allowedActions('notebook', grant, row));
  }

  /**
   * Save title and cell inputs of the notebook the grant loaded. With `version`, a stale save
   * fails with 409 `request.conflict`; without it, the save applies to the loaded version (and
   * fails the same way if another save came in between). The version increments on every save,
   * and every save is kept as a version.
   */
  async update(
    grant: GrantFor<'notebook'>,
    input: {
      title?: string | undefined;
      cells?: CellInput[] | undefined;
      settings?: NotebookSettings | undefined;
      version?: number | undefined;
    },
  ): Promise<Notebook> {
    return this.save(grant, input.version, (current) => ({
      title: input.title ?? current.title,
      cells: input.cells ?? current.cells,
      settings: input.settings ?? current.settings,
    }));
  }

  /**
   * The one save path: check `expectedVersion` against the loaded notebook, apply `change` to
   * its content, store it with the next version number (compare-and-set on the loaded version)
   * and keep that version — in one transaction, so no save goes unversioned and no two saves
   * share a number.
   */
  async save(
    grant: GrantFor<'notebook'>,
    expectedVersion: number | undefined,
    change: (current: NotebookRow) => {
      title: string;
      cells: CellInput[];
      settings: Partial<NotebookSettings>;
    },
    restoredFrom: number | null = null,
  ): Promise<Notebook> {
    const current = grant.notebook;
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new SpinError(
        'request.conflict',
        `notebook was changed elsewhere (version ${current.version}, you sent ${expectedVersion}); reload and retry`,
        { currentVersion: current.version },
      );
    }
    const actor = grant.actor;
    const saved = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const next = change(current);
      const cells = normaliseCells(next.cells);
      // Compare-and-set on the loaded version: no second read, and no lost update.
      const row = await notebooksRepository.update(tx, current.id, current.version, {
        title: next.title,
        cells,
        settings: next.settings,
      });
      if (!row) {
        throw new SpinError('request.conflict', 'notebook was changed elsewhere; reload and retry');
      }
      await notebookVersionsRepository.insert(tx, {
        notebookId: row.id,
        version: row.version,
        title: row.title,
        cells: row.cells,
        settings: row.settings,
        savedBy: actor.userId,
        restoredFrom,
      });
      if (restoredFrom !== null) {
        await this.audit.append(
          {
            actor: actorId(actor),
            workspaceId: row.workspaceId,
            action: 'notebook.version_restored',
            subject: row.id,
            data: { restoredFrom, version: row.version },
          },
          tx,
        );
      }
      return row;
    });
    const runs = await cellRunsRepository.listForNotebook(this.db, current.id);
    return presentNotebook(saved, runs, grant.allowedActions);
  }

  /** Insert a cell at `index` (default: the end). */
  insertCell(grant: GrantFor<'notebook'>, input: InsertCellRequest): Promise<Notebook> {
    return this.save(grant, input.version, (c) => ({
      ...c,
      cells: insertCell(c.cells, input.cell, input.index),
    }));
  }

  /** Change some fields of one cell. */
  updateCell(
    grant: GrantFor<'notebook'>,
    cellId: string,
    { version, ...patch }: UpdateCellRequest,
  ): Promise<Notebook> {
    return this.save(grant, version, (c) => ({
      ...c,
      cells: updateCell(c.cells, cellId, patch),
    }));
  }

  /** Move one cell to `index`. */
  moveCell(grant: GrantFor<'notebook'>, cellId: string, input: MoveCellRequest): Promise<Notebook> {
    return this.save(grant, input.version, (c) => ({
      ...c,
      cells: moveCell(c.cells, cellId, input.index),
    }));
  }

  /** Delete one cell (its last run stays in cell_runs, as after a save without it). */
  deleteCell(
    grant: GrantFor<'notebook'>,
    cellId: string,
    version: number | undefined,
  ): Promise<Notebook> {
    return this.save(grant, version, (c) => ({ ...c, cells: deleteCell(c.cells, cellId) }));
  }

  /** Kept versions, newest first. */
  async listVersions(grant: GrantFor<'notebook'>, page: PageQuery) {
    const id = grant.notebook.id;
    const { rows, total } = await notebookVersionsRepository.page(this.db, id, page);
    return { items: rows.map(presentVersionSummary), total, ...page };
  }

  /** One kept version with its content. */
  async getVersion(grant: GrantFor<'notebook'>, version: number): Promise<NotebookVersion> {
    const row = await notebookVersionsRepository.get(this.db, grant.notebook.id, version);
    if (!row)
      throw new SpinError('notebook.version_not_found', `no version ${version} of this notebook`);
    return {
      ...presentVersionSummary({ ...row, cellCount: row.cells.length }),
      cells: row.cells.map(cellInput),
      settings: NotebookSettingsSchema.parse(row.settings ?? {}),
    };
  }

  /**
   * Make version `version`'s title, cells and settings current again, as a new version (so the
   * versions after it stay, and the restore can itself be undone).
   */
  async restoreVersion(
    grant: GrantFor<'notebook'>,
    version: number,
    expectedVersion: number | undefined,
  ): Promise<Notebook> {
    const kept = await notebookVersionsRepository.get(this.db, grant.notebook.id, version);
    if (!kept)
      throw new SpinError('notebook.version_not_found', `no version ${version} of this notebook`);
    return this.save(
      grant,
      expectedVersion,
      () => ({ title: kept.title, cells: kept.cells, settings: kept.settings }),
      version,
    );
  }

  /** Replace the notebook's tags (labels, not content: no new version). */
  async setTags(grant: GrantFor<'notebook'>, tags: string[]): Promise<Notebook> {
    const id = grant.notebook.id;
    const unique = [...new Set(tags)].sort();
    const row = await notebooksRepository.setTags(this.db, id, unique);
    if (!row) throw new SpinError('notebook.not_found', 'notebook not found');
    return presentNotebook(
      row,
      await cellRunsRepository.listForNotebook(this.db, id),
      grant.allowedActions,
    );
  }

  /** Search a workspace's notebooks by title and content, filter by tag, one page at a time. */
  async search(workspaceId: string, query: NotebookSearchQuery): Promise<NotebookPage> {
    const { rows, total } = await notebooksRepository.search(this.db, workspaceId, query);
    return {
      items: rows.map((r) => ({ ...presentNotebookSummary(r), tags: r.tags, version: r.version })),
      total,
      limit: query.limit,
      offset: query.offset,
    };
  }
}

/** Presenter: a version without its content. */
function presentVersionSummary(row: NotebookVersionSummaryRow): NotebookVersionSummary {
  return {
    version: row.version,
    title: row.title,
    savedAt: row.savedAt.toISOString(),
    savedBy: row.savedBy,
    restoredFrom: row.restoredFrom,
    cellCount: row.cellCount,
  };
}
