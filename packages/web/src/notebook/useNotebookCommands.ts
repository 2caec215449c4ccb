import { useMemo, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import { cellTypeInfo, type Cell, type CellType } from '@spin/protocol';
import type { CellActions, CellFocusHandle } from './Cell';
import type { CellRunStore } from './cellRunStore';
import { commandFor, type NotebookCommand, type PendingKey } from './commandMode';
import {
  cellsToRun,
  clearOutputsPatch,
  deleteCells,
  emptyCell,
  insertCell,
  isRunnable,
  moveCells,
  pasteCells,
  planAfterRun,
  restoreCells,
  retypeCell,
  selectRange,
  updateCell,
  type Deletion,
} from './notebookModel';
import type { ToolbarActions } from './NotebookToolbar';
import { cellRunView } from './runView';
import { useRunQueue, type RunQueueOptions } from './useRunQueue';

/** Which cells are selected (command mode): the active one, and the range's other end. */
export interface Selection {
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

export interface NotebookCommandsOptions extends RunQueueOptions {
  /** Replace the cells (and mark the document dirty). */
  setCells: (next: Cell[]) => void;
  /** The cell to select when the notebook opens. */
  initialActive: string | null;
  /** A cell that takes editor focus as soon as it registers (a new cell). */
  pendingFocus: RefObject<string | null>;
  store: CellRunStore;
  /** Render every cell now (the list renders progressively while the notebook opens). */
  showAll: () => void;
}

/**
 * Jupyter's command mode, the selection, the run queue and the operations a cell calls. The
 * notebook document (cells, saving) stays with the editor; this hook only reads it through
 * refs and writes it through `setCells`, so the handlers it returns are stable.
 */
export function useNotebookCommands(o: NotebookCommandsOptions) {
  const opts = useRef(o);
  opts.current = o;
  const { cellsRef, canRef, pendingFocus } = o;
  const queue = useRunQueue(o);
  const queueRef = useRef(queue);
  queueRef.current = queue;
  const focusHandles = useRef(new Map<string, CellFocusHandle>());
  const [selection, setSelectionState] = useState<Selection>({
    active: o.initialActive,
    anchor: null,
    selected: new Set(),
  });
  const selectionRef = useRef(selection);
  const pendingKey = useRef<PendingKey | null>(null);
  const clipboard = useRef<Cell[]>([]);
  const undoStack = useRef<Deletion[]>([]);
  const [canUndo, setCanUndo] = useState(false);
  const [restartAsk, setRestartAsk] = useState(false);

  const setCells = (next: Cell[]) => opts.current.setCells(next);
  const setNotice = (notice: string | null) => opts.current.setNotice(notice);
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
  /** Command mode on `id`: its cell has focus (and scrolls into view), no editor does. */
  const commandFocus = (id: string | null) => {
    if (!id) return;
    if (!focusHandles.current.has(id)) opts.current.showAll();
    focusHandles.current.get(id)?.focusCell();
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
    const { cells, deletion } = deleteCells(cellsRef.current, ids);
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
    const live = opts.current.store.get(cell.id).run;
    const view = cellRunView(cell, live);
    if (view.status === 'running' || view.source === 'none') return null;
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
  const runSequence = (cells: readonly Cell[], follow: boolean) =>
    void queueRef.current.runSequence(cells, follow);

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
        if (command === 'run-stay') return runSequence(targets().filter(isRunnable), false);
        if (isRunnable(current)) runSequence([current], true);
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
        return removeSelected(new Set(targets().map((c) => c.id)));
      case 'undo-delete':
        return undoDelete();
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
        return setSelection({
          active: active ?? cells[0]!.id,
          anchor: cells[0]!.id,
          selected: new Set(cells.map((c) => c.id)),
        });
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
        return queueRef.current.interrupt();
      case 'restart':
        return setRestartAsk(true);
      case 'save':
        void opts.current.saver.flush();
        return;
    }
  };
  const runCommandRef = useRef(runCommand);
  runCommandRef.current = runCommand;

  /** Command mode: keys pressed while a cell (not its editor) has focus. */
  const onCellsKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.defaultPrevented || keyBelongsToControl(e)) return;
    const { command, pending } = commandFor(e, pendingKey.current, Date.now());
    pendingKey.current = pending;
    if (pending) e.preventDefault();
    if (!command) return;
    e.preventDefault();
    runCommandRef.current(command);
  };

  const toolbar: ToolbarActions = {
    runAll: () => runSequence(cellsToRun(cellsRef.current, 'all', null), false),
    runAbove: () =>
      runSequence(cellsToRun(cellsRef.current, 'above', selectionRef.current.active), false),
    runBelow: () =>
      runSequence(cellsToRun(cellsRef.current, 'below', selectionRef.current.active), false),
    interrupt: () => queueRef.current.interrupt(),
    restart: (then) => queueRef.current.restart(then),
    clearOutputs: () => clearOutputs(cellsRef.current),
    undoDelete,
  };

  // The latest closures, read by the cell actions (created once so memoised cells do not
  // re-render on every keystroke).
  const interrupt = () => queueRef.current.interrupt();
  const live = useRef<Live>({ select, commandFocus, removeSelected, runSequence, interrupt });
  live.current = { select, commandFocus, removeSelected, runSequence, interrupt };
  const actions = useMemo<CellActions>(
    () => cellActions(opts, live, selectionRef, focusHandles),
    [],
  );

  return {
    actions,
    selection,
    toolbar,
    onCellsKeyDown,
    canUndo,
    undoDelete,
    busy: queue.running > 0,
    restartAsk,
    setRestartAsk,
    restart: (then: 'nothing' | 'run-all') => queueRef.current.restart(then),
    commandFocusActive: () => commandFocus(selectionRef.current.active),
  };
}

type Live = {
  select: (id: string | null, extend?: boolean) => void;
  commandFocus: (id: string | null) => void;
  removeSelected: (ids: ReadonlySet<string>) => void;
  runSequence: (cells: readonly Cell[], follow: boolean) => void;
  interrupt: () => void;
};

/** The operations a cell calls; every one reads the latest state through refs. */
function cellActions(
  opts: RefObject<NotebookCommandsOptions>,
  live: RefObject<Live>,
  selectionRef: RefObject<Selection>,
  focusHandles: RefObject<Map<string, CellFocusHandle>>,
): CellActions {
  const cells = () => opts.current.cellsRef.current;
  const setCells = (next: Cell[]) => opts.current.setCells(next);
  return {
    setSource: (cellId, source) => setCells(updateCell(cells(), cellId, { source })),
    setType: (cellId, type) => {
      const cell = cells().find((c) => c.id === cellId);
      if (cell) setCells(updateCell(cells(), cellId, retypeCell(cell, type)));
    },
    patch: (cellId, patch) => setCells(updateCell(cells(), cellId, patch)),
    remove: (cellId) => live.current.removeSelected(new Set([cellId])),
    activate: (cellId, how) => {
      const cur = selectionRef.current;
      if (how === 'extend') live.current.select(cellId, true);
      // Focus moving into a cell makes it active; it keeps a range it is part of (the
      // keyboard moved there). A click starts over with that cell alone.
      else if (
        how === 'click' ? cur.active !== cellId || cur.selected.size > 0 : cur.active !== cellId
      )
        live.current.select(cellId);
    },
    commandMode: (cellId) => {
      live.current.select(cellId);
      live.current.commandFocus(cellId);
    },
    move: (cellId, delta) => setCells(moveCells(cells(), new Set([cellId]), delta)),
    addAbove: (cellId, type) => {
      const index = cells().findIndex((c) => c.id === cellId);
      if (index < 0 || !opts.current.canRef.current.edit) return;
      const cell = emptyCell(type);
      opts.current.pendingFocus.current = cell.id;
      setCells(insertCell(cells(), index, cell));
    },
    interrupt: () => live.current.interrupt(),
    answerInput: (cellId, jti, value) => {
      const { store, session } = opts.current;
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
      const pending = opts.current.pendingFocus;
      if (pending.current === cellId) {
        pending.current = null;
        h.focus();
      }
    },
    run: (cellId, mode) => {
      const all = cells();
      const cell = all.find((c) => c.id === cellId);
      if (!cell) return;
      const plan = planAfterRun(all, cellId, mode);
      if (plan.insert) {
        opts.current.pendingFocus.current = plan.insert.cell.id;
        setCells(insertCell(all, plan.insert.index, plan.insert.cell));
        live.current.select(plan.insert.cell.id);
      } else if (plan.focusId) {
        live.current.select(plan.focusId);
        focusHandles.current.get(plan.focusId)?.focus();
      }
      // A run from the cell follows its links: the next cell runs if linked and this one succeeds.
      if (isRunnable(cell)) live.current.runSequence([cell], true);
    },
  };
}
