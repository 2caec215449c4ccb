import { Fragment, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { ApiError } from '@spin/client';
import {
  cellTypeInfo,
  type Cell,
  type CellInput,
  type CellType,
  type Notebook,
  type NotebookSettings,
  type Runtime,
  type TemplateVariable,
} from '@spin/protocol';
import { api, toErrorInfo, type ErrorInfo } from '../app/api';
import { linkClick } from '../app/routing';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { Autosaver, type SaveState } from './autosaver';
import { AddCellBar } from './AddCellBar';
import { CellView, type CellActions, type CellFocusHandle } from './Cell';
import { CellRunStore } from './cellRunStore';
import { commandFor, type NotebookCommand, type PendingKey } from './commandMode';
import {
  cellInput,
  cellInputs,
  cellsToRun,
  clearOutputsPatch,
  deleteCells,
  emptyCell,
  initialFocus,
  insertCell,
  isRunnable,
  moveCells,
  nextLinked,
  pasteCells,
  planAfterRun,
  restoreCells,
  retypeCell,
  sameContent,
  selectRange,
  updateCell,
  type Deletion,
} from './notebookModel';
import { NotebookToolbar, RestartConfirm, type ToolbarActions } from './NotebookToolbar';
import { cellRunView } from './runView';
import { notebookPermissions } from './permissions';
import { TimeRangePicker } from './TimeRangePicker';
import { useNotebookSession } from './useNotebookSession';
import { useBlobAccess } from './useBlobAccess';
import { BlobAccessContext } from '../outputs/blobAccess';
import { SessionVariablesForm } from './SessionVariablesForm';
import { useTemplateVariables } from './useTemplateVariables';
import { VariablesPanel } from './VariablesPanel';
import { ExportIpynbButton } from './ExportIpynbButton';

const SAVE_DELAY_MS = 600;
const NO_VARIABLES: readonly TemplateVariable[] = [];
const RUNTIME_KEY = 'spin.runtimeId';

interface Props {
  initial: Notebook;
  runtimes: Runtime[] | null;
  runtimesError: ErrorInfo | null;
}

type Snapshot = { title: string; settings: NotebookSettings; cells: CellInput[] };

/** Which cells are selected (command mode): the active one, and the range's other end. */
interface Selection {
  active: string | null;
  anchor: string | null;
  selected: ReadonlySet<string>;
}

/** Deletions kept for Z / "Undo delete" (JupyterLab keeps a similar stack). */
const UNDO_DEPTH = 50;

/** Where the key went: editors, form fields and buttons keep their own keys. */
function keyBelongsToControl(e: KeyboardEvent<HTMLElement>): boolean {
  const t = e.target as HTMLElement;
  if (t.closest('.cm-editor, input, textarea, select, [contenteditable="true"]')) return true;
  return (e.key === 'Enter' || e.key === ' ') && t.closest('button, a, summary') !== null;
}

/**
 * The notebook editor. It owns the document (title, cells, version), its autosave, the live
 * run store and — through `useNotebookSession` — the page's one NotebookSession.
 */
export function NotebookEditor({ initial, runtimes, runtimesError }: Props) {
  const id = initial.id;
  const [cells, setCellsState] = useState<Cell[]>(initial.cells);
  const [title, setTitleState] = useState(initial.title);
  const [settings, setSettingsState] = useState(initial.settings);
  const [titleDraft, setTitleDraft] = useState(initial.title);
  const [save, setSave] = useState<{ state: SaveState; error: ErrorInfo | null }>({
    state: 'saved',
    error: null,
  });
  const [notice, setNotice] = useState<string | null>(null);
  useDocumentTitle(title);

  // Refs are the source of truth for handlers (no stale closures); state drives rendering.
  const cellsRef = useRef(cells);
  const titleRef = useRef(title);
  const settingsRef = useRef(settings);
  const versionRef = useRef(initial.version);
  const baseRef = useRef<Snapshot>({
    title: initial.title,
    settings: initial.settings,
    cells: cellInputs(initial.cells),
  });
  const focusHandles = useRef(new Map<string, CellFocusHandle>());
  // A new notebook opens with its first cell in edit mode (README: type, then Shift+Enter).
  const pendingFocus = useRef<string | null>(initialFocus(initial.cells));
  const store = useMemo(() => new CellRunStore(), []);
  const [selection, setSelectionState] = useState<Selection>({
    active: initial.cells[0]?.id ?? null,
    anchor: null,
    selected: new Set(),
  });
  const selectionRef = useRef(selection);
  const pendingKey = useRef<PendingKey | null>(null);
  const clipboard = useRef<Cell[]>([]);
  const undoStack = useRef<Deletion[]>([]);
  const [canUndo, setCanUndo] = useState(false);
  const [queue, setQueue] = useState(0);
  const [restartAsk, setRestartAsk] = useState(false);
  // What the server said this user may do here: controls it would refuse are not shown.
  const can = useMemo(() => notebookPermissions(initial.allowedActions), [initial.allowedActions]);
  const canRef = useRef(can);
  canRef.current = can;

  // ---- runtime selection
  const [runtimeId, setRuntimeId] = useState<string | null>(() => readPreference(RUNTIME_KEY));
  const runtime = runtimes?.find((r) => r.id === runtimeId) ?? runtimes?.[0] ?? null;
  const { handle: session, ui: sessionUi } = useNotebookSession({
    notebookId: id,
    runtime,
    waitingForRuntime: runtimes === null && runtimesError === null,
    store,
    snapshot: () => ({
      knownJtis: cellsRef.current.flatMap((c) => (c.lastRun ? [c.lastRun.jti] : [])),
      cellIds: cellsRef.current.map((c) => c.id),
    }),
  });

  // spilled output is read from the runtime with the session's token
  const blobAccess = useBlobAccess(session, runtime);

  // ---- saving
  const loadFrom = (nb: Notebook) => {
    cellsRef.current = nb.cells;
    titleRef.current = nb.title;
    settingsRef.current = nb.settings;
    versionRef.current = nb.version;
    baseRef.current = { title: nb.title, settings: nb.settings, cells: cellInputs(nb.cells) };
    setCellsState(nb.cells);
    setTitleState(nb.title);
    setSettingsState(nb.settings);
    setTitleDraft(nb.title);
  };
  const saveNow = async (): Promise<void> => {
    const snapshot: Snapshot = {
      title: titleRef.current,
      settings: settingsRef.current,
      cells: cellInputs(cellsRef.current),
    };
    const put = async (version: number) => {
      const nb = await api.updateNotebook(id, { ...snapshot, version });
      versionRef.current = nb.version;
      baseRef.current = snapshot;
    };
    try {
      await put(versionRef.current);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'request.conflict')) throw err;
      const latest = await api.getNotebook(id);
      const remote = {
        title: latest.title,
        settings: latest.settings,
        cells: cellInputs(latest.cells),
      };
      if (sameContent(baseRef.current, remote)) {
        // Only the version moved (e.g. run results saved meanwhile): our edits still apply.
        await put(latest.version);
        return;
      }
      // Someone else edited the notebook: take their version rather than overwrite it.
      saver.reset();
      loadFrom(latest);
      setNotice(
        'This notebook was changed elsewhere, so the latest version was loaded. Your last unsaved edits were not applied.',
      );
    }
  };
  const saveRef = useRef(saveNow);
  saveRef.current = saveNow;
  const [saver] = useState(
    () =>
      new Autosaver({
        delayMs: SAVE_DELAY_MS,
        save: () => saveRef.current(),
        onStateChange: (state, error) =>
          setSave({ state, error: error ? toErrorInfo(error) : null }),
      }),
  );

  useEffect(() => {
    const flush = () => void saver.flush();
    const onVisibility = () => document.visibilityState === 'hidden' && flush();
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (saver.isDirty || saver.state === 'saving') e.preventDefault();
    };
    document.addEventListener('visibilitychange', onVisibility);
    window.addEventListener('pagehide', flush);
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('pagehide', flush);
      window.removeEventListener('beforeunload', onBeforeUnload);
      flush(); // leaving the page in-app
    };
  }, [saver]);

  const setCells = (next: Cell[]) => {
    cellsRef.current = next;
    setCellsState(next);
    saver.markDirty();
  };

  const setSettings = (patch: Partial<NotebookSettings>) => {
    settingsRef.current = { ...settingsRef.current, ...patch };
    setSettingsState(settingsRef.current);
    saver.markDirty();
  };
  const setTimeRange = (timeRange: NotebookSettings['timeRange']) => setSettings({ timeRange });
  const variables = settings.templateVariables ?? NO_VARIABLES;
  const templateVars = useTemplateVariables({
    session,
    phase: sessionUi.phase,
    variables,
    canRun: can.run,
  });

  const commitTitle = () => {
    const t = titleDraft.trim();
    if (!t) {
      setTitleDraft(titleRef.current);
      return;
    }
    if (t === titleRef.current) return;
    titleRef.current = t;
    setTitleState(t);
    setTitleDraft(t);
    saver.markDirty();
    void saver.flush();
  };

  // ---- running
  /** Run one cell; resolves true when it ended `ok` (what linked cells and Run all go on after). */
  const execute = async (input: CellInput): Promise<boolean> => {
    store.setPending(input.id, true);
    await saver.flush(); // a failed save does not stop the run: compile takes the source itself
    try {
      const s = await session.ready();
      const result = await s.run(input, { timeRange: settingsRef.current.timeRange });
      store.setPending(input.id, false);
      return result.status === 'ok';
    } catch (err) {
      store.setError(input.id, toErrorInfo(err));
      return false;
    }
  };

  /**
   * Run cells one after another, each after the previous one ended; the first that does not
   * end `ok` stops the rest (Jupyter's Run all). Queued cells show as pending meanwhile.
   * With `follow`, a cell linked to the last one run goes on the queue when it succeeds.
   */
  const runSequence = async (cells: readonly Cell[], follow: boolean) => {
    if (!canRef.current.run || cells.length === 0) return;
    const queued = [...cells];
    for (const c of queued) store.setPending(c.id, true);
    setQueue((q) => q + 1);
    try {
      while (queued.length > 0) {
        const cell = queued.shift()!;
        const latest = cellsRef.current.find((c) => c.id === cell.id);
        if (!latest) continue; // deleted while queued
        const ok = await execute(cellInput(latest));
        if (!ok) break;
        if (follow && queued.length === 0) {
          const next = nextLinked(cellsRef.current, latest.id);
          if (next) {
            store.setPending(next.id, true);
            queued.push(next);
          }
        }
      }
    } finally {
      for (const c of queued) store.setPending(c.id, false);
      setQueue((q) => q - 1);
    }
  };
  const runSequenceRef = useRef(runSequence);
  runSequenceRef.current = runSequence;

  const addCell = (index: number, type: CellType) => {
    const cell = emptyCell(type);
    pendingFocus.current = cell.id;
    setCells(insertCell(cellsRef.current, index, cell));
  };

  // ---- selection and command mode
  const setSelection = (next: Selection) => {
    selectionRef.current = next;
    setSelectionState(next);
  };
  /** Make `id` the active cell, alone (or, with `extend`, the far end of a range). */
  const select = (id: string | null, extend = false) => {
    const cur = selectionRef.current;
    if (id === null) return setSelection({ active: null, anchor: null, selected: new Set() });
    if (!extend) return setSelection({ active: id, anchor: null, selected: new Set() });
    const anchor = cur.anchor ?? cur.active ?? id;
    setSelection({ active: id, anchor, selected: selectRange(cellsRef.current, anchor, id) });
  };
  /** The cells a command acts on: the selected range, else the active cell. */
  const targets = (): Cell[] => {
    const { active, selected } = selectionRef.current;
    const ids = selected.size > 0 ? selected : new Set(active ? [active] : []);
    return cellsRef.current.filter((c) => ids.has(c.id));
  };
  /** Command mode on `id`: its cell has focus, no editor does. */
  const commandFocus = (id: string | null) => {
    if (id) focusHandles.current.get(id)?.focusCell();
  };
  const neighbour = (id: string, delta: -1 | 1): string | null => {
    const cells = cellsRef.current;
    const i = cells.findIndex((c) => c.id === id);
    return cells[Math.max(0, Math.min(cells.length - 1, i + delta))]?.id ?? null;
  };
  const remember = (deletion: Deletion) => {
    undoStack.current = [...undoStack.current.slice(-(UNDO_DEPTH - 1)), deletion];
    setCanUndo(true);
  };
  const removeSelected = (ids: ReadonlySet<string>) => {
    if (!canRef.current.edit || ids.size === 0) return;
    const before = cellsRef.current;
    const { cells, deletion } = deleteCells(before, ids);
    const first = deletion.removed[0]?.index ?? 0;
    remember(deletion);
    setCells(cells);
    const next = cells[Math.min(first, cells.length - 1)]?.id ?? null;
    select(next);
    commandFocus(next);
    const n = deletion.removed.length;
    setNotice(`${n === 1 ? 'Cell' : `${n} cells`} deleted. Press Z or "Undo delete" to restore.`);
  };
  const undoDelete = () => {
    const deletion = undoStack.current.pop();
    setCanUndo(undoStack.current.length > 0);
    if (!deletion || !canRef.current.edit) return;
    setCells(restoreCells(cellsRef.current, deletion));
    const back = deletion.removed.map((r) => r.cell.id);
    setSelection({
      active: back[0] ?? null,
      anchor: back.length > 1 ? back[back.length - 1]! : null,
      selected: back.length > 1 ? new Set(back) : new Set(),
    });
    setNotice(null);
    requestAnimationFrame(() => commandFocus(back[0] ?? null));
  };
  const shownJti = (cell: Cell): string | null => {
    const view = cellRunView(cell, store.get(cell.id).run);
    if (view.status === 'running' || view.source === 'none') return null;
    const live = store.get(cell.id).run;
    return view.source === 'live' && live ? live.jti : (cell.lastRun?.jti ?? null);
  };
  const clearOutputs = (cells: readonly Cell[]) => {
    if (!canRef.current.edit) return;
    let next = cellsRef.current;
    for (const cell of cells) {
      const patch = clearOutputsPatch(cell, shownJti(cell));
      if (patch) next = updateCell(next, cell.id, patch);
    }
    if (next !== cellsRef.current) setCells(next);
  };
  const codeType = (near: Cell | undefined): CellType =>
    near && cellTypeInfo(near.type)?.kind === 'kernel' ? near.type : 'python';

  const runCommand = (command: NotebookCommand) => {
    const cells = cellsRef.current;
    const { active } = selectionRef.current;
    const index = active ? cells.findIndex((c) => c.id === active) : -1;
    const current = index >= 0 ? cells[index] : undefined;
    const edit = canRef.current.edit;
    switch (command) {
      case 'edit':
        if (active) focusHandles.current.get(active)?.edit();
        return;
      case 'run-advance':
      case 'run-stay':
      case 'run-insert-below': {
        if (!current) return;
        if (command === 'run-stay') {
          void runSequenceRef.current(targets().filter(isRunnable), false);
          return;
        }
        if (isRunnable(current)) void runSequenceRef.current([current], true);
        const plan = planAfterRun(
          cells,
          current.id,
          command === 'run-advance' ? 'advance' : 'insert-below',
        );
        if (plan.insert && edit) {
          pendingFocus.current = plan.insert.cell.id;
          setCells(insertCell(cells, plan.insert.index, plan.insert.cell));
          select(plan.insert.cell.id);
        } else if (plan.focusId) {
          select(plan.focusId);
          commandFocus(plan.focusId);
        }
        return;
      }
      case 'insert-above':
      case 'insert-below': {
        if (!edit) return;
        const cell = emptyCell(codeType(current));
        const at = index < 0 ? cells.length : command === 'insert-above' ? index : index + 1;
        setCells(insertCell(cells, at, cell));
        select(cell.id);
        requestAnimationFrame(() => commandFocus(cell.id));
        return;
      }
      case 'delete':
        removeSelected(new Set(targets().map((c) => c.id)));
        return;
      case 'undo-delete':
        undoDelete();
        return;
      case 'to-markdown':
      case 'to-code': {
        if (!edit) return;
        let next = cells;
        for (const c of targets()) {
          const type = command === 'to-markdown' ? 'markdown' : codeType(c);
          if (c.type !== type) next = updateCell(next, c.id, retypeCell(c, type));
        }
        if (next !== cells) setCells(next);
        return;
      }
      case 'select-up':
      case 'select-down':
      case 'extend-up':
      case 'extend-down': {
        if (!active) return;
        const to = neighbour(active, command.endsWith('up') ? -1 : 1);
        select(to, command.startsWith('extend'));
        commandFocus(to);
        return;
      }
      case 'select-all':
        if (cells.length === 0) return;
        setSelection({
          active: active ?? cells[0]!.id,
          anchor: cells[0]!.id,
          selected: new Set(cells.map((c) => c.id)),
        });
        return;
      case 'copy':
      case 'cut':
        clipboard.current = targets();
        if (command === 'cut') removeSelected(new Set(clipboard.current.map((c) => c.id)));
        return;
      case 'paste-below':
      case 'paste-above': {
        if (!edit || clipboard.current.length === 0) return;
        const at = index < 0 ? cells.length : command === 'paste-above' ? index : index + 1;
        const { cells: next, pasted } = pasteCells(cells, at, clipboard.current);
        setCells(next);
        const last = pasted[pasted.length - 1]!.id;
        select(last);
        requestAnimationFrame(() => commandFocus(last));
        return;
      }
      case 'move-up':
      case 'move-down': {
        if (!edit) return;
        const ids = new Set(targets().map((c) => c.id));
        setCells(moveCells(cells, ids, command === 'move-up' ? -1 : 1));
        requestAnimationFrame(() => commandFocus(active));
        return;
      }
      case 'interrupt':
        actions.interrupt(active ?? '');
        return;
      case 'restart':
        setRestartAsk(true);
        return;
      case 'save':
        void saver.flush();
        return;
    }
  };
  const runCommandRef = useRef(runCommand);
  runCommandRef.current = runCommand;

  const onCellsKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.defaultPrevented || keyBelongsToControl(e)) return;
    const { command, pending } = commandFor(e, pendingKey.current, Date.now());
    pendingKey.current = pending;
    if (pending) e.preventDefault();
    if (!command) return;
    e.preventDefault();
    runCommandRef.current(command);
  };

  const restart = (then: 'nothing' | 'run-all') => {
    session.ready().then(
      async (s) => {
        try {
          await s.restart();
          if (then === 'run-all')
            await runSequenceRef.current(cellsToRun(cellsRef.current, 'all', null), false);
        } catch (err) {
          if (err instanceof ApiError) setNotice(`Could not restart the kernel: ${err.message}`);
        }
      },
      () => {},
    );
  };
  const toolbar: ToolbarActions = {
    runAll: () => void runSequence(cellsToRun(cellsRef.current, 'all', null), false),
    runAbove: () =>
      void runSequence(cellsToRun(cellsRef.current, 'above', selectionRef.current.active), false),
    runBelow: () =>
      void runSequence(cellsToRun(cellsRef.current, 'below', selectionRef.current.active), false),
    interrupt: () => actions.interrupt(selectionRef.current.active ?? ''),
    restart,
    clearOutputs: () => clearOutputs(cellsRef.current),
    undoDelete,
  };

  // Stable for the editor's lifetime, so memoised cells do not re-render on every keystroke.
  const actions = useMemo<CellActions>(
    () => ({
      setSource: (cellId, source) => setCells(updateCell(cellsRef.current, cellId, { source })),
      setType: (cellId, type) => {
        const cell = cellsRef.current.find((c) => c.id === cellId);
        if (cell) setCells(updateCell(cellsRef.current, cellId, retypeCell(cell, type)));
      },
      patch: (cellId, patch) => setCells(updateCell(cellsRef.current, cellId, patch)),
      remove: (cellId) => removeSelected(new Set([cellId])),
      activate: (cellId, how) => {
        const cur = selectionRef.current;
        if (how === 'extend') select(cellId, true);
        // Focus moving into a cell makes it active; it keeps a range it is part of (the
        // keyboard moved there). A click starts over with that cell alone.
        else if (
          how === 'click' ? cur.active !== cellId || cur.selected.size > 0 : cur.active !== cellId
        )
          select(cellId);
      },
      commandMode: (cellId) => {
        select(cellId);
        commandFocus(cellId);
      },
      move: (cellId, delta) => setCells(moveCells(cellsRef.current, new Set([cellId]), delta)),
      interrupt: () => {
        session
          .ready()
          .then((s) => s.interrupt())
          .catch((err: unknown) => {
            // e.g. runtime.not_owner: the session was handed to someone else
            if (err instanceof ApiError) setNotice(`Could not stop the run: ${err.message}`);
          });
      },
      answerInput: (cellId, jti, value) => {
        store.setInput(cellId, null);
        session.ready().then(
          (s) => s.answerInput(jti, value),
          () => {},
        );
      },
      registerFocus: (cellId, h) => {
        if (!h) {
          focusHandles.current.delete(cellId);
          return;
        }
        focusHandles.current.set(cellId, h);
        if (pendingFocus.current === cellId) {
          pendingFocus.current = null;
          h.focus();
        }
      },
      run: (cellId, mode) => {
        const cell = cellsRef.current.find((c) => c.id === cellId);
        if (!cell) return;
        const plan = planAfterRun(cellsRef.current, cellId, mode);
        if (plan.insert) {
          pendingFocus.current = plan.insert.cell.id;
          setCells(insertCell(cellsRef.current, plan.insert.index, plan.insert.cell));
          select(plan.insert.cell.id);
        } else if (plan.focusId) {
          select(plan.focusId);
          focusHandles.current.get(plan.focusId)?.focus();
        }
        // A run from the cell follows its links: the next cell runs if linked and this one succeeds.
        if (isRunnable(cell)) void runSequenceRef.current([cell], true);
      },
    }),
    // Empty deps on purpose: setCells/execute only read refs and objects stable for the page.
    [],
  );

  return (
    <BlobAccessContext.Provider value={blobAccess}>
      <main className="page notebook-page">
        <div className="notebook-header">
          <a href="/" onClick={linkClick('/')} className="back-link" title="All notebooks">
            ← Notebooks
          </a>
          <input
            className="notebook-title"
            data-testid="notebook-title"
            aria-label="Notebook title"
            value={titleDraft}
            readOnly={!can.edit}
            maxLength={300}
            onChange={(e) => setTitleDraft(e.target.value)}
            onBlur={commitTitle}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                commitTitle();
                e.currentTarget.blur();
              } else if (e.key === 'Escape') {
                setTitleDraft(titleRef.current);
                e.currentTarget.blur();
              }
            }}
          />
          <SaveIndicator state={save.state} error={save.error} />
          <ExportIpynbButton notebookId={initial.id} title={title} />
          <TimeRangePicker value={settings.timeRange} onChange={setTimeRange} />
          {runtimes && runtimes.length > 1 && (
            <label className="runtime-picker">
              Runtime{' '}
              <select
                data-testid="runtime-select"
                value={runtime?.id ?? ''}
                onChange={(e) => {
                  setRuntimeId(e.target.value);
                  writePreference(RUNTIME_KEY, e.target.value);
                }}
              >
                {runtimes.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>

        {(!can.edit || !can.run) && (
          <div className="notice" role="status" data-testid="read-only-notice">
            {can.run
              ? 'Your role lets you view and run this notebook, not edit it.'
              : 'Your role lets you view this notebook, not edit or run it.'}
          </div>
        )}
        {notice && (
          <div className="notice" role="status" data-testid="notebook-notice">
            {notice}{' '}
            {canUndo && notice?.includes('deleted') && (
              <button
                type="button"
                className="btn btn-link"
                data-testid="notice-undo"
                onClick={undoDelete}
              >
                Undo
              </button>
            )}
            <button
              type="button"
              className="btn btn-link"
              onClick={() => setNotice(null)}
              aria-label="Dismiss"
            >
              Dismiss
            </button>
          </div>
        )}
        {runtimesError && (
          <div className="error-box" role="alert">
            Could not list runtimes: <code>{runtimesError.code}</code> {runtimesError.message}
          </div>
        )}
        {runtimes && runtimes.length === 0 && (
          <div className="notice notice-warn" data-testid="no-runtime">
            No runtime is paired with this server, so cells cannot run yet. An admin pairs a runtime
            with its URL and <code>SPIN_TOKEN</code>.
          </div>
        )}
        {runtime && (sessionUi.phase === 'failed' || sessionUi.phase === 'closed') && (
          <div className="error-box" role="alert" data-testid="session-error">
            Not connected to runtime <strong>{runtime.name}</strong>
            {sessionUi.error && (
              <>
                : <code>{sessionUi.error.code}</code> {sessionUi.error.message}
              </>
            )}{' '}
            <button type="button" className="btn" onClick={() => session.reconnect()}>
              Reconnect
            </button>
          </div>
        )}

        {sessionUi.deadKernel && (
          <div className="error-box" role="alert" data-testid="kernel-dead">
            {sessionUi.deadKernel.cause?.message ?? 'The kernel is not running.'}{' '}
            <button
              type="button"
              className="btn"
              data-testid="kernel-restart"
              onClick={() => {
                session.ready().then(
                  (s) => s.restart().catch(() => {}),
                  () => {},
                );
              }}
            >
              Restart kernel
            </button>
          </div>
        )}

        {templateVars.state.status === 'needs-input' && (
          <SessionVariablesForm
            variables={variables}
            state={templateVars.state}
            onSubmit={(inputs) => void templateVars.resolve(inputs)}
          />
        )}
        <VariablesPanel
          variables={variables}
          canEdit={can.edit}
          canRun={can.run && sessionUi.phase === 'open'}
          state={templateVars.state}
          onChange={(templateVariables) => setSettings({ templateVariables })}
          onApply={(inputs) => void templateVars.resolve(inputs)}
        />

        <NotebookToolbar can={can} actions={toolbar} busy={queue > 0} canUndo={canUndo} />
        {restartAsk && (
          <RestartConfirm
            then="nothing"
            onCancel={() => {
              setRestartAsk(false);
              commandFocus(selectionRef.current.active);
            }}
            onConfirm={() => {
              setRestartAsk(false);
              restart('nothing');
              commandFocus(selectionRef.current.active);
            }}
          />
        )}

        {/* Command mode: keys pressed while a cell (not its editor) has focus. */}
        <div className="cells" data-testid="cells" onKeyDown={onCellsKeyDown}>
          {cells.map((cell, i) => (
            <Fragment key={cell.id}>
              {i > 0 && can.edit && <AddCellBar onAdd={(type) => addCell(i, type)} subtle />}
              <CellView
                cell={cell}
                index={i}
                store={store}
                actions={actions}
                can={can}
                active={selection.active === cell.id}
                selected={selection.selected.has(cell.id)}
                linkable={i > 0 && isRunnable(cell)}
              />
            </Fragment>
          ))}
          {can.edit && <AddCellBar onAdd={(type) => addCell(cellsRef.current.length, type)} />}
        </div>
        <p className="shortcuts muted">
          <kbd>Shift</kbd>+<kbd>Enter</kbd> run and advance · <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+
          <kbd>Enter</kbd> run · <kbd>Alt</kbd>+<kbd>Enter</kbd> run and insert below ·{' '}
          <kbd>Esc</kbd> command mode (<kbd>A</kbd>/<kbd>B</kbd> insert, <kbd>D</kbd> <kbd>D</kbd>{' '}
          delete, <kbd>Z</kbd> undo, <kbd>M</kbd>/<kbd>Y</kbd> markdown/code)
        </p>
      </main>
    </BlobAccessContext.Provider>
  );
}

/** localStorage can be unavailable (privacy modes, storage quotas): preferences are optional. */
function readPreference(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function writePreference(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // not remembered; the picker still works for this page
  }
}

function SaveIndicator({ state, error }: { state: SaveState; error: ErrorInfo | null }) {
  const text =
    state === 'saved'
      ? 'Saved'
      : state === 'saving'
        ? 'Saving…'
        : state === 'pending'
          ? 'Unsaved changes'
          : `Save failed${error ? `: ${error.message}` : ''}`;
  return (
    <span
      className={`save-status save-${state}`}
      data-testid="save-status"
      role="status"
      title={error?.code}
    >
      {text}
    </span>
  );
}
