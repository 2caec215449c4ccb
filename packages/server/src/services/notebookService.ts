import {
  NotebookSettingsSchema,
  SpinError,
  type Cell,
  type CellStatus,
  type CellInput,
  type Notebook,
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
import { workspacesRepository } from '../repositories/workspacesRepository.js';
import type { AuditService } from './auditService.js';

/**
 * Presenter: a notebook row with its cells' latest verified runs, as the API shows it, and
 * what the caller may do with it (from the grant).
 */
export function presentNotebook(
  row: NotebookRow,
  runs: readonly CellRunRow[],
  allowedActions?: readonly string[],
): Notebook {
  const byCell = new Map(runs.map((r) => [r.cellId, r]));
  const cells: Cell[] = row.cells.map((c) => {
    const run = byCell.get(c.id);
    return {
      ...cellInput(c),
      outputs: run?.outputs ?? [],
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
      settings?: NotebookSettings | undefined;
    },
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
      });
      await this.audit.append(
        {
          actor: actorId(grant.actor),
          workspaceId: created.workspaceId,
          action: 'notebook.created',
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
   * fails the same way if another save came in between). The version increments on every save.
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
    const current = grant.notebook;
    if (input.version !== undefined && input.version !== current.version) {
      throw new SpinError(
        'request.conflict',
        `notebook was changed elsewhere (version ${current.version}, you sent ${input.version}); reload and retry`,
        { currentVersion: current.version },
      );
    }
    const cells = input.cells ? normaliseCells(input.cells) : current.cells;
    // Compare-and-set on the loaded version: no second read, and no lost update.
    const saved = await notebooksRepository.update(this.db, current.id, current.version, {
      title: input.title ?? current.title,
      cells,
      settings: input.settings ?? current.settings,
    });
    if (!saved) {
      throw new SpinError('request.conflict', 'notebook was changed elsewhere; reload and retry');
    }
    const runs = await cellRunsRepository.listForNotebook(this.db, current.id);
    return presentNotebook(saved, runs, grant.allowedActions);
  }
}
