import {
  memo,
  useCallback,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type KeyboardEvent,
} from 'react';
import {
  CELL_TYPES,
  cellTypeInfo,
  defaultResultVar,
  type Cell,
  type CellType,
} from '@spin/protocol';
import { Markdown } from '../markdown/Markdown';
import { OutputErrorBoundary } from '../outputs/OutputErrorBoundary';
import { OutputList } from '../outputs/OutputArea';
import { CellEditor, type CellEditorHandle } from './CellEditor';
import { CellSettings } from './CellSettings';
import type { CellRunStore } from './cellRunStore';
import { CellInputPrompt } from './CellInputPrompt';
import type { CellPatch, RunMode } from './notebookModel';
import { cellRunView, statusLabel } from './runView';
import type { NotebookPermissions } from './permissions';

/** Something the notebook can move keyboard focus to. */
export interface CellFocusHandle {
  /** Focus the cell's editor (or a rendered markdown cell's view). */
  focus(): void;
  /** Command mode: focus the cell itself, no editor. */
  focusCell(): void;
  /** Edit mode (Enter): the editor, opening a rendered markdown cell's. */
  edit(): void;
}

/** Notebook-level operations a cell calls; stable for the page's lifetime. */
export interface CellActions {
  setSource(id: string, source: string): void;
  setType(id: string, type: CellType): void;
  /** Change a cell's parameters, connection, result variable or time range. */
  patch(id: string, patch: CellPatch): void;
  run(id: string, mode: RunMode): void;
  interrupt(id: string): void;
  /** Answer the kernel's input request `jti` of a cell (the line the user typed). */
  answerInput(id: string, jti: string, value: string): void;
  remove(id: string): void;
  registerFocus(id: string, handle: CellFocusHandle | null): void;
  /** The cell got focus, a click, or a Shift+click (extend the selection to it). */
  activate(id: string, how: 'focus' | 'click' | 'extend'): void;
  /** Esc in the cell's editor: command mode on this cell. */
  commandMode(id: string): void;
  /** Move the cell one place up or down. */
  move(id: string, delta: -1 | 1): void;
}

interface Props {
  cell: Cell;
  index: number;
  store: CellRunStore;
  actions: CellActions;
  /** Controls the user's role allows (from the notebook's `allowedActions`). */
  can: NotebookPermissions;
  /** The active cell (command mode's cursor). */
  active: boolean;
  /** Part of a multi-cell selection. */
  selected: boolean;
  /** May be linked to the cell above (a runnable cell that is not the first). */
  linkable: boolean;
}

/** Re-render every `ms` while active (the running timer). */
function useTicker(active: boolean, ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return active ? Math.max(now, Date.now()) : now;
}

/** One notebook cell: toolbar, editor (or rendered markdown), status and outputs. */
export const CellView = memo(function CellView({
  cell,
  index,
  store,
  actions,
  can,
  active,
  selected,
  linkable,
}: Props) {
  const { id, type, source } = cell;
  // Everything type-specific (menu, editor language, parameter form) comes from the registry.
  const info = cellTypeInfo(type);
  const live = useSyncExternalStore(
    useCallback((l: () => void) => store.subscribe(id, l), [store, id]),
    () => store.get(id),
  );
  const view = cellRunView(cell, live.run);
  const running = live.pending || view.status === 'running';
  const now = useTicker(running, 200);
  const isMarkdown = info?.kind === 'markdown';
  const [settingsOpen, setSettingsOpen] = useState(false);
  const hasSettings = info !== undefined && !isMarkdown && can.edit;

  const [editing, setEditing] = useState(() => source.trim() === '');
  const showEditor = !isMarkdown || editing || source.trim() === '';
  const [focusEditor, setFocusEditor] = useState(false);
  const editorRef = useRef<CellEditorHandle>(null);
  const renderedRef = useRef<HTMLDivElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const showEditorRef = useRef(showEditor);
  showEditorRef.current = showEditor;
  const startEditingRef = useRef<() => void>(() => {});

  useEffect(() => {
    actions.registerFocus(id, {
      focus: () =>
        showEditorRef.current ? editorRef.current?.focus() : renderedRef.current?.focus(),
      focusCell: () => rootRef.current?.focus({ preventScroll: false }),
      edit: () => (showEditorRef.current ? editorRef.current?.focus() : startEditingRef.current()),
    });
    return () => actions.registerFocus(id, null);
  }, [actions, id]);
  useEffect(() => {
    if (active && rootRef.current && document.activeElement === rootRef.current) {
      rootRef.current.scrollIntoView({ block: 'nearest' });
    }
  }, [active]);

  // Leaving a markdown editor keeps focus on the cell (its rendered view), as in Jupyter.
  const focusRenderedNext = useRef(false);
  useEffect(() => {
    if (!showEditor && focusRenderedNext.current) renderedRef.current?.focus();
    focusRenderedNext.current = false;
  }, [showEditor]);
  const stopEditing = (keepFocus: boolean) => {
    focusRenderedNext.current = keepFocus;
    setEditing(false);
  };
  const startEditing = () => {
    if (!can.edit) return;
    setFocusEditor(true);
    setEditing(true);
  };
  startEditingRef.current = startEditing;
  const run = (mode: RunMode) => {
    if (isMarkdown) stopEditing(mode === 'stay');
    if (can.run || isMarkdown) actions.run(id, mode);
  };
  const onRenderedKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    if (e.shiftKey) run('advance');
    else if (e.altKey) run('insert-below');
    else if (!(e.ctrlKey || e.metaKey) && can.edit) startEditing();
  };

  const dataStatus = running ? 'running' : live.error ? 'error' : isMarkdown ? 'idle' : view.status;
  const label = running
    ? statusLabel({ ...view, status: 'running' }, now)
    : live.error
      ? 'failed'
      : statusLabel(view);
  const count = isMarkdown ? '' : running ? '[*]' : `[${view.executionCount ?? ' '}]`;

  return (
    <div
      ref={rootRef}
      className={`cell cell-${type} status-${dataStatus}${active ? ' cell-active' : ''}${selected ? ' cell-selected' : ''}`}
      data-testid="cell"
      data-cell-id={id}
      data-cell-type={type}
      data-status={dataStatus}
      data-active={active || undefined}
      data-selected={selected || undefined}
      data-linked={cell.linked || undefined}
      tabIndex={-1}
      aria-label={`Cell ${index + 1}`}
      onFocus={() => actions.activate(id, 'focus')}
      onMouseDown={(e) => {
        if (e.shiftKey) e.preventDefault();
        actions.activate(id, e.shiftKey ? 'extend' : 'click');
      }}
      onClick={(e) => {
        // A click outside any control selects the cell in command mode, as in JupyterLab.
        const t = e.target as HTMLElement;
        if (!e.shiftKey && !t.closest('.cm-editor, button, input, select, textarea, a, iframe')) {
          if (!window.getSelection()?.toString()) rootRef.current?.focus();
        }
      }}
    >
      <div className="cell-gutter" aria-hidden={count === ''}>
        <span className="exec-count" title="Execution count">
          {count}
        </span>
      </div>
      <div className="cell-main">
        <div className="cell-toolbar">
          <select
            data-testid="cell-type-select"
            aria-label={`Cell ${index + 1} type`}
            value={type}
            disabled={!can.edit}
            onChange={(e) => actions.setType(id, e.target.value as CellType)}
          >
            {!info && <option value={type}>{type} (not available)</option>}
            {CELL_TYPES.map((t) => (
              <option key={t.type} value={t.type}>
                {t.name}
              </option>
            ))}
          </select>
          {hasSettings && (
            <button
              type="button"
              className={`btn btn-icon${settingsOpen ? ' active' : ''}`}
              data-testid="cell-settings-toggle"
              title="Cell settings"
              aria-label={`Cell ${index + 1} settings`}
              aria-expanded={settingsOpen}
              onClick={() => setSettingsOpen((o) => !o)}
            >
              ⚙
            </button>
          )}
          {info?.kind === 'processor' && (
            <code
              className="cell-result-var"
              data-testid="cell-result-var-name"
              title="Session variable of this cell's result"
            >
              → {cell.resultVar || defaultResultVar(id)}
            </code>
          )}
          {(isMarkdown || can.run) && (
            <button
              type="button"
              className="btn btn-run"
              data-testid="run-cell"
              title={isMarkdown ? 'Render (Shift+Enter)' : 'Run cell (Shift+Enter)'}
              aria-label={isMarkdown ? `Render cell ${index + 1}` : `Run cell ${index + 1}`}
              disabled={running}
              onClick={() => run('stay')}
            >
              ▶ {isMarkdown ? 'Render' : 'Run'}
            </button>
          )}
          {running && !isMarkdown && (
            <button
              type="button"
              className="btn"
              data-testid="interrupt-cell"
              title="Interrupt the kernel"
              aria-label={`Interrupt cell ${index + 1}`}
              onClick={() => actions.interrupt(id)}
            >
              ■ Stop
            </button>
          )}
          {linkable && can.edit && (
            <button
              type="button"
              className={`btn btn-icon${cell.linked ? ' active' : ''}`}
              data-testid="cell-link"
              aria-pressed={cell.linked === true}
              title={
                cell.linked
                  ? 'Linked: runs after the cell above succeeds (click to unlink)'
                  : 'Link to the cell above: run it after that one succeeds'
              }
              aria-label={`Link cell ${index + 1} to the cell above`}
              onClick={() => actions.patch(id, { linked: cell.linked ? undefined : true })}
            >
              {cell.linked ? '↳ Linked' : '↳ Link'}
            </button>
          )}
          {!linkable && cell.linked && (
            <span className="muted" title="Only a runnable cell below another can be linked">
              (link inactive)
            </span>
          )}
          {isMarkdown && !showEditor && can.edit && (
            <button
              type="button"
              className="btn"
              title="Edit markdown (Enter)"
              aria-label={`Edit cell ${index + 1}`}
              onClick={startEditing}
            >
              Edit
            </button>
          )}
          <span
            className={`cell-status cell-status-${dataStatus}`}
            data-testid="cell-status"
            aria-live="polite"
          >
            {label}
          </span>
          {view.verified && !running && (
            <span
              className="cell-verified"
              data-testid="cell-verified"
              title="The runtime's signed receipt for this run was verified by the server and recorded in the audit log"
            >
              ✓ audited
            </span>
          )}
          <span className="spacer" />
          {can.edit && (
            <>
              <button
                type="button"
                className="btn btn-icon"
                data-testid="move-cell-up"
                title="Move up (Ctrl+Shift+↑)"
                aria-label={`Move cell ${index + 1} up`}
                onClick={() => actions.move(id, -1)}
              >
                ↑
              </button>
              <button
                type="button"
                className="btn btn-icon"
                data-testid="move-cell-down"
                title="Move down (Ctrl+Shift+↓)"
                aria-label={`Move cell ${index + 1} down`}
                onClick={() => actions.move(id, 1)}
              >
                ↓
              </button>
            </>
          )}
          {can.edit && (
            <button
              type="button"
              className="btn btn-icon btn-delete"
              data-testid="delete-cell"
              title="Delete cell (D D; undo with Z)"
              aria-label={`Delete cell ${index + 1}`}
              onClick={() => actions.remove(id)}
            >
              ✕
            </button>
          )}
        </div>
        {hasSettings && settingsOpen && (
          <CellSettings
            key={`${id}:${type}`}
            cell={cell}
            info={info}
            index={index}
            onPatch={(patch) => actions.patch(id, patch)}
          />
        )}
        {!info && (
          <div className="notice notice-warn" data-testid="cell-unknown-type">
            This server has no &ldquo;{type}&rdquo; cell type; the cell is kept but cannot run.
          </div>
        )}
        {showEditor ? (
          <CellEditor
            ref={editorRef}
            value={source}
            language={info?.language ?? 'text/plain'}
            placeholder={info?.placeholder ?? ''}
            autoFocus={focusEditor}
            readOnly={!can.edit}
            ariaLabel={`Cell ${index + 1} (${type}) source`}
            onChange={(s) => actions.setSource(id, s)}
            onRun={run}
            onEscape={() => {
              if (isMarkdown && source.trim() !== '') stopEditing(false);
              actions.commandMode(id);
            }}
          />
        ) : (
          <div
            className="markdown-rendered"
            ref={renderedRef}
            tabIndex={0}
            aria-label={`Markdown cell ${index + 1}; press Enter or double-click to edit`}
            onDoubleClick={startEditing}
            onKeyDown={onRenderedKey}
          >
            <Markdown source={source} />
          </div>
        )}
        {!isMarkdown && (
          <div
            className={`cell-output${view.outputs.length === 0 && !live.error && !live.input ? ' cell-output-empty' : ''}`}
            data-testid="cell-output"
          >
            {live.error && (
              <div className="run-error" role="alert" data-testid="cell-run-error">
                <code className="run-error-code">{live.error.code}</code> {live.error.message}
              </div>
            )}
            <OutputErrorBoundary resetKey={view.outputs}>
              <OutputList outputs={view.outputs} />
            </OutputErrorBoundary>
            {live.input && (
              <CellInputPrompt
                key={live.input.jti}
                request={live.input}
                onAnswer={(value) => actions.answerInput(id, live.input!.jti, value)}
              />
            )}
          </div>
        )}
      </div>
    </div>
  );
});
