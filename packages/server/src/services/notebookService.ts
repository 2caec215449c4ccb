import {
  NotebookSettingsSchema,
  SpinError,
  type Cell,
  type CellStatus,
  type CellInput,
  type Notebook,
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
import { workspacesRepository } from '../repositories/workspacesRepository.js';
import { confineToToken } from '../policies/tokenScope.js';
import type { AuditService } from './auditService.js';

/** Presenter: a notebook row with its cells' latest verified runs, as the API shows it. */
export function presentNotebook(row: NotebookRow, runs: readonly CellRunRow[]): Notebook {
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
    const ids = new Set(mine.map((w) => w.id));
    const all =
      actor.orgRole !== 'admin'
        ? mine
        : [
            ...mine,
            ...(await workspacesRepository.listAll(this.db))
              .filter((w) => !ids.has(w.id))
              .map((w) => ({ ...w, role: 'owner' as const })),
          ];
    // An API token sees its one workspace, with the role it is confined to.
    return all.flatMap((w) => {
      const role = confineToToken(actor, w.id, actor.token?.notebookId ?? null, w.role);
      return role ? [{ ...w, role }] : [];
    });
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
        createdBy: actor.userId,
      });
      await this.audit.append(
        {
          actor: actorId(actor),
          workspaceId: created.workspaceId,
          action: 'notebook.created',
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
   * the version increments on every save.
   */
  async update(
    id: string,
    input: {
      title?: string | undefined;
      cells?: CellInput[] | undefined;
      settings?: NotebookSettings | undefined;
      version?: number | undefined;
    },
  ): Promise<Notebook> {
    const row = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const current = await notebooksRepository.getForUpdate(tx, id);
      if (!current) throw new SpinError('notebook.not_found', 'notebook not found');
      if (input.version !== undefined && input.version !== current.version) {
        throw new SpinError(
          'request.conflict',
          `notebook was changed elsewhere (version ${current.version}, you sent ${input.version}); reload and retry`,
          { currentVersion: current.version },
        );
      }
      const cells = input.cells ? normaliseCells(input.cells) : current.cells;
      const saved = await notebooksRepository.update(tx, id, current.version, {
        title: input.title ?? current.title,
        cells,
        settings: input.settings ?? current.settings,
      });
      if (!saved) throw new SpinError('request.conflict', 'notebook was changed elsewhere');
      return saved;
    });
    return presentNotebook(row, await cellRunsRepository.listForNotebook(this.db, id));
  }
}
