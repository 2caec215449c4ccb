import {
  memo,
  useCallback,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type KeyboardEvent,
} from 'react';
import { cellTypeInfo, type Cell, type CellType, type Output } from '@spin/protocol';
import { Markdown } from '../markdown/Markdown';
import { OutputErrorBoundary } from '../outputs/OutputErrorBoundary';
import { OutputList } from '../outputs/OutputArea';
import { AddCellBar } from './AddCellBar';
import { CellEditor, StaticSource, type CellEditorHandle, type ScreenPoint } from './CellEditor';
import { CellToolbar, CellToolbarStub } from './CellToolbar';
import { outputCutSummary } from '../outputs/spilled';
import { CellSettings } from './CellSettings';
import type { CellRunStore } from './cellRunStore';
import { CellInputPrompt } from './CellInputPrompt';
import type { CellPatch, RunMode } from './notebookModel';
import { cellRunView, statusLabel } from './runView';
import type { NotebookPermissions } from './permissions';
import { whenNearViewport } from './nearViewport';
import { CompletionHostContext } from './completion/completionHost';
import { cellCompletion } from './completion/cellCompletion';

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
  /** Insert a new cell of `type` just above this one. */
  addAbove(id: string, type: CellType): void;
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
  /** Show the slim "add a cell here" bar above the cell (every cell but the first). */
  addBarAbove: boolean;
  /** Render the real controls and editor now (a new cell), not when it nears the viewport. */
  eager: boolean;
}

const lineCount = (text: string) => {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < text.length - 1; i = text.indexOf('\n', i + 1))
    n++;
  return n;
};

/**
 * About how tall a static cell is (toolbar, source lines, outputs up to the output box's
 * 560 px cap), for `contain-intrinsic-size`: off-screen static cells skip layout, and a close
 * guess keeps the scrollbar steady when they are laid out for real.
 */
function estimateHeight(cell: Cell, outputs: readonly Output[]): number {
  const source = 34 + 16 + lineCount(cell.source) * 19.5;
  if (outputs.length === 0) return Math.round(source);
  let out = 13;
  for (const o of outputs) out += o.output_type === 'stream' ? 4 + lineCount(o.text) * 18.85 : 200;
  return Math.round(source + Math.min(out, 560));
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
  addBarAbove,
  eager,
}: Props) {
  const { id, type, source } = cell;
  // Everything type-specific (menu, editor language, parameter form) comes from the registry.
  const info = cellTypeInfo(type);
  const live = useSyncExternalStore(
    useCallback((l: () => void) => store.subscribe(id, l), [store, id]),
    () => store.get(id),
  );
  const view = cellRunView(cell, live.run);
  const outputCut = useMemo(() => outputCutSummary(view.outputs), [view.outputs]);
  const running = live.pending || view.status === 'running';
  const now = useTicker(running, 200);
  const isMarkdown = info?.kind === 'markdown';
  const completionHost = useContext(CompletionHostContext);
  const completion = useMemo(
    () =>
      completionHost && info && can.edit ? cellCompletion(info, completionHost, id) : undefined,
    [completionHost, info, can.edit, id],
  );
  const [settingsOpen, setSettingsOpen] = useState(false);
  const hasSettings = info !== undefined && !isMarkdown && can.edit;

  // Off-screen cells are static (source as text, status as text) until they come near the
  // viewport or are focused: a 1,000-cell notebook then mounts cheap markup, not 1,000 editors.
  const [full, setFull] = useState(eager);
  const [editing, setEditing] = useState(() => source.trim() === '');
  const showEditor = !isMarkdown || editing || source.trim() === '';
  const [autoFocus, setAutoFocus] = useState(false);
  const editorRef = useRef<CellEditorHandle>(null);
  const renderedRef = useRef<HTMLDivElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const showEditorRef = useRef(showEditor);
  showEditorRef.current = showEditor;
  const startEditingRef = useRef<() => void>(() => {});
  const fullRef = useRef(full);
  fullRef.current = full;
  // Focus asked for before the editor existed: given once the cell has rendered in full.
  const focusOnFull = useRef<{ at?: ScreenPoint } | null>(null);
  const focusEditor = useCallback((at?: ScreenPoint) => {
    if (fullRef.current && editorRef.current) return editorRef.current.focus(at);
    focusOnFull.current = at ? { at } : {};
    setFull(true);
  }, []);
  useLayoutEffect(() => {
    const want = focusOnFull.current;
    if (!full || !want) return;
    focusOnFull.current = null;
    editorRef.current?.focus(want.at);
  }, [full]);
  useEffect(() => {
    if (full || !rootRef.current) return;
    return whenNearViewport(rootRef.current, () => setFull(true), { contentVisibilityAuto: true });
  }, [full]);

  useEffect(() => {
    actions.registerFocus(id, {
      focus: () => (showEditorRef.current ? focusEditor() : renderedRef.current?.focus()),
      focusCell: () => rootRef.current?.focus({ preventScroll: false }),
      edit: () => (showEditorRef.current ? focusEditor() : startEditingRef.current()),
    });
    return () => actions.registerFocus(id, null);
  }, [actions, id, focusEditor]);
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
    setAutoFocus(true);
    setFull(true);
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

  const sourceLabel = `Cell ${index + 1} (${type}) source`;
  return (
    <>
      {addBarAbove &&
        (full ? (
          <AddCellBar onAdd={(t) => actions.addAbove(id, t)} subtle />
        ) : (
          <div className="add-cell-bar subtle" aria-hidden="true" />
        ))}
      <div
        ref={rootRef}
        className={`cell cell-${type} status-${dataStatus}${active ? ' cell-active' : ''}${selected ? ' cell-selected' : ''}${full ? '' : ' cell-static'}`}
        style={
          full
            ? undefined
            : { containIntrinsicSize: `auto ${estimateHeight(cell, view.outputs)}px` }
        }
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
          {full ? (
            <CellToolbar
              cell={cell}
              index={index}
              info={info}
              can={can}
              actions={actions}
              dataStatus={dataStatus}
              label={label}
              running={running}
              verified={view.verified}
              outputCut={outputCut}
              linkable={linkable}
              isMarkdown={isMarkdown}
              showEditor={showEditor}
              hasSettings={hasSettings}
              settingsOpen={settingsOpen}
              setSettingsOpen={setSettingsOpen}
              run={run}
              startEditing={startEditing}
            />
          ) : (
            <CellToolbarStub typeName={info?.name ?? type} dataStatus={dataStatus} label={label} />
          )}
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
          {showEditor && !full ? (
            <StaticSource
              value={source}
              placeholder={info?.placeholder ?? ''}
              ariaLabel={sourceLabel}
              onActivate={focusEditor}
            />
          ) : showEditor ? (
            <CellEditor
              ref={editorRef}
              value={source}
              language={info?.language ?? 'text/plain'}
              placeholder={info?.placeholder ?? ''}
              autoFocus={autoFocus}
              readOnly={!can.edit}
              completion={completion}
              ariaLabel={sourceLabel}
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
    </>
  );
});
