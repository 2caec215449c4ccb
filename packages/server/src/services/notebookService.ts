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
  type Workspace,
} from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';
import { actorId, type UserActor } from '../policies/actor.js';
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
 * Presenter: a notebook row with its cells' latest verified runs, as the API shows it. A cell
 * that never ran in SPIN shows the outputs its imported .ipynb had.
 */
export function presentNotebook(row: NotebookRow, runs: readonly CellRunRow[]): Notebook {
  const byCell = new Map(runs.map((r) => [r.cellId, r]));
  const cells: Cell[] = row.cells.map((c) => {
    const run = byCell.get(c.id);
    return {
      ...cellInput(c),
      outputs: run?.outputs ?? importedOutputs(row.jupyter ?? null, c.id),
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

  /** Workspaces the user belongs to, with their role (org admins see every workspace). */
  async listWorkspaces(actor: UserActor): Promise<Workspace[]> {
    const mine = await workspacesRepository.listForUser(this.db, actor.userId);
    if (actor.orgRole !== 'admin') return mine;
    const ids = new Set(mine.map((w) => w.id));
    const others = (await workspacesRepository.listAll(this.db))
      .filter((w) => !ids.has(w.id))
      .map((w) => ({ ...w, role: 'owner' as const }));
    return [...mine, ...others];
  }

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

  /** The caller's first workspace (the default target for new notebooks). */
  async defaultWorkspaceId(actor: UserActor): Promise<string> {
    const [first] = await this.listWorkspaces(actor);
    if (!first) throw new SpinError('request.not_found', 'you are not a member of any workspace');
    return first.id;
  }

  async list(workspaceId: string): Promise<NotebookSummary[]> {
    return (await notebooksRepository.listByWorkspace(this.db, workspaceId)).map(
      presentNotebookSummary,
    );
  }

  async get(id: string): Promise<Notebook> {
    const row = await notebooksRepository.get(this.db, id);
    if (!row) throw new SpinError('notebook.not_found', 'notebook not found');
    return presentNotebook(row, await cellRunsRepository.listForNotebook(this.db, id));
  }

  async create(
    actor: UserActor,
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
        createdBy: actor.userId,
        ...(input.jupyter ? { jupyter: input.jupyter } : {}),
      });
      await notebookVersionsRepository.insert(tx, {
        notebookId: created.id,
        version: created.version,
        title: created.title,
        cells: created.cells,
        settings: created.settings,
        savedBy: actor.userId,
      });
      await this.audit.append(
        {
          actor: actorId(actor),
          workspaceId: created.workspaceId,
          action,
          subject: created.id,
          data: { workspaceId: created.workspaceId, title: created.title },
        },
        tx,
      );
      return created;
    });
    return presentNotebook(row, []);
  }

  /**
   * Save title and cell inputs. With `version`, a stale save fails with 409 `request.conflict`;
   * the version increments on every save, and every save is kept as a version.
   */
  async update(
    id: string,
    input: {
      title?: string | undefined;
      cells?: CellInput[] | undefined;
      settings?: NotebookSettings | undefined;
      version?: number | undefined;
    },
    actor?: UserActor,
  ): Promise<Notebook> {
    return this.save(id, input.version, actor ?? null, (current) => ({
      title: input.title ?? current.title,
      cells: input.cells ?? current.cells,
      settings: input.settings ?? current.settings,
    }));
  }

  /**
   * The one save path: lock the row, check `expectedVersion`, apply `change` to the current
   * content, store it with the next version number and keep that version — in one transaction,
   * so no save goes unversioned and no two saves share a number.
   */
  async save(
    id: string,
    expectedVersion: number | undefined,
    actor: UserActor | null,
    change: (current: NotebookRow) => {
      title: string;
      cells: CellInput[];
      settings: Partial<NotebookSettings>;
    },
    restoredFrom: number | null = null,
  ): Promise<Notebook> {
    const row = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const current = await notebooksRepository.getForUpdate(tx, id);
      if (!current) throw new SpinError('notebook.not_found', 'notebook not found');
      if (expectedVersion !== undefined && expectedVersion !== current.version) {
        throw new SpinError(
          'request.conflict',
          `notebook was changed elsewhere (version ${current.version}, you sent ${expectedVersion}); reload and retry`,
          { currentVersion: current.version },
        );
      }
      const next = change(current);
      const cells = normaliseCells(next.cells);
      const saved = await notebooksRepository.update(tx, id, current.version, {
        title: next.title,
        cells,
        settings: next.settings,
      });
      if (!saved) throw new SpinError('request.conflict', 'notebook was changed elsewhere');
      await notebookVersionsRepository.insert(tx, {
        notebookId: id,
        version: saved.version,
        title: saved.title,
        cells: saved.cells,
        settings: saved.settings,
        savedBy: actor?.userId ?? null,
        restoredFrom,
      });
      if (restoredFrom !== null) {
        await this.audit.append(
          {
            actor: actor ? actorId(actor) : 'system',
            workspaceId: saved.workspaceId,
            action: 'notebook.version_restored',
            subject: id,
            data: { restoredFrom, version: saved.version },
          },
          tx,
        );
      }
      return saved;
    });
    return presentNotebook(row, await cellRunsRepository.listForNotebook(this.db, id));
  }

  /** Insert a cell at `index` (default: the end). */
  insertCell(actor: UserActor, id: string, input: InsertCellRequest): Promise<Notebook> {
    return this.save(id, input.version, actor, (c) => ({
      ...c,
      cells: insertCell(c.cells, input.cell, input.index),
    }));
  }

  /** Change some fields of one cell. */
  updateCell(
    actor: UserActor,
    id: string,
    cellId: string,
    { version, ...patch }: UpdateCellRequest,
  ): Promise<Notebook> {
    return this.save(id, version, actor, (c) => ({
      ...c,
      cells: updateCell(c.cells, cellId, patch),
    }));
  }

  /** Move one cell to `index`. */
  moveCell(
    actor: UserActor,
    id: string,
    cellId: string,
    input: MoveCellRequest,
  ): Promise<Notebook> {
    return this.save(id, input.version, actor, (c) => ({
      ...c,
      cells: moveCell(c.cells, cellId, input.index),
    }));
  }

  /** Delete one cell (its last run stays in cell_runs, as after a save without it). */
  deleteCell(
    actor: UserActor,
    id: string,
    cellId: string,
    version: number | undefined,
  ): Promise<Notebook> {
    return this.save(id, version, actor, (c) => ({ ...c, cells: deleteCell(c.cells, cellId) }));
  }

  /** Kept versions, newest first. */
  async listVersions(id: string, page: PageQuery) {
    const { rows, total } = await notebookVersionsRepository.page(this.db, id, page);
    return { items: rows.map(presentVersionSummary), total, ...page };
  }

  /** One kept version with its content. */
  async getVersion(id: string, version: number): Promise<NotebookVersion> {
    const row = await notebookVersionsRepository.get(this.db, id, version);
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
    actor: UserActor,
    id: string,
    version: number,
    expectedVersion: number | undefined,
  ): Promise<Notebook> {
    const kept = await notebookVersionsRepository.get(this.db, id, version);
    if (!kept)
      throw new SpinError('notebook.version_not_found', `no version ${version} of this notebook`);
    return this.save(
      id,
      expectedVersion,
      actor,
      () => ({ title: kept.title, cells: kept.cells, settings: kept.settings }),
      version,
    );
  }

  /** Replace the notebook's tags (labels, not content: no new version). */
  async setTags(id: string, tags: string[]): Promise<Notebook> {
    const unique = [...new Set(tags)].sort();
    const row = await notebooksRepository.setTags(this.db, id, unique);
    if (!row) throw new SpinError('notebook.not_found', 'notebook not found');
    return presentNotebook(row, await cellRunsRepository.listForNotebook(this.db, id));
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
