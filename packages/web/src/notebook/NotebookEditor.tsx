import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '@spin/client';
import type {
  Cell,
  CellInput,
  CellType,
  Notebook,
  NotebookSettings,
  Runtime,
  TemplateVariable,
} from '@spin/protocol';
import { api, onSignedInAgain, toErrorInfo, type ErrorInfo } from '../app/api';
import { linkClick } from '../app/routing';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { Autosaver, type SaveState } from './autosaver';
import { NotebookTags } from './NotebookTags';
import { RuntimePicker, TitleInput } from './NotebookHeaderParts';
import { AddCellBar } from './AddCellBar';
import { CellView } from './Cell';
import { CellRunStore } from './cellRunStore';
import {
  cellInputs,
  emptyCell,
  initialFocus,
  insertCell,
  isRunnable,
  sameContent,
} from './notebookModel';
import { NotebookToolbar, RestartConfirm } from './NotebookToolbar';
import { notebookPermissions } from './permissions';
import { readPreference, SaveIndicator, writePreference } from './SaveIndicator';
import { TimeRangePicker } from './TimeRangePicker';
import { useNotebookCommands } from './useNotebookCommands';
import { useNotebookSession } from './useNotebookSession';
import { useBlobAccess } from './useBlobAccess';
import { useSessionRights } from './session/useSessionRights';
import { BlobAccessContext } from '../outputs/blobAccess';
import { useProgressiveCount } from './useProgressiveCount';
import { SessionVariablesForm } from './SessionVariablesForm';
import { useTemplateVariables } from './useTemplateVariables';
import { VariablesPanel } from './VariablesPanel';
import { ExportIpynbButton } from './ExportIpynbButton';
import { useCellDrop } from './cellDrag';
import { CompletionHostContext } from './completion/completionHost';
import { useCompletionHost } from './completion/useCompletionHost';

const SAVE_DELAY_MS = 600;
const NO_VARIABLES: readonly TemplateVariable[] = [];
const RUNTIME_KEY = 'spin.runtimeId';

interface Props {
  initial: Notebook;
  runtimes: Runtime[] | null;
  runtimesError: ErrorInfo | null;
}

type Snapshot = { title: string; settings: NotebookSettings; cells: CellInput[] };

/**
 * The notebook editor. It owns the document (title, cells, version), its autosave, the live
 * run store and — through `useNotebookSession` — the page's one NotebookSession.
 */
export function NotebookEditor({ initial, runtimes, runtimesError }: Props) {
  const id = initial.id;
  const [cells, setCellsState] = useState<Cell[]>(initial.cells);
  const [title, setTitleState] = useState(initial.title);
  const [settings, setSettingsState] = useState(initial.settings);
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
  // A new notebook opens with its first cell in edit mode (README: type, then Shift+Enter).
  const pendingFocus = useRef<string | null>(initialFocus(initial.cells));
  const store = useMemo(() => new CellRunStore(), []);
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
  // who may interrupt and restart: the session's owner (the server's allowed actions)
  const rights = useSessionRights();
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
  // an autosave refused because the session ended goes again once the user signed in again
  useEffect(() => onSignedInAgain(() => void saver.flush()), [saver]);

  const setCells = (next: Cell[]) => {
    cellsRef.current = next;
    setCellsState(next);
    saver.markDirty();
  };
  // Drag a cell by its handle: one move, saved like the move buttons' (cellDrag.tsx).
  const cellDrop = useCellDrop(can.edit, cellsRef, setCells);

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
  const completionHost = useCompletionHost({
    session,
    phase: sessionUi.phase,
    variables,
    cellsRef,
    workspaceId: initial.workspaceId,
    enabled: can.edit,
  });

  const commitTitle = (t: string) => {
    titleRef.current = t;
    setTitleState(t);
    saver.markDirty();
    void saver.flush();
  };

  // ---- command mode, selection and the run queue
  const commands = useNotebookCommands({
    cellsRef,
    settingsRef,
    store,
    session,
    saver,
    canRef,
    setNotice,
    setCells,
    pendingFocus,
    initialActive: initial.cells[0]?.id ?? null,
    showAll: () => progressive.showAll(),
  });
  const { actions, selection } = commands;
  const progressive = useProgressiveCount(cells.length);
  // Cells added on this page render in full at once; the loaded ones when they near the viewport.
  const [loadedIds] = useState(() => new Set(initial.cells.map((c) => c.id)));

  const addCell = (index: number, type: CellType) => {
    const cell = emptyCell(type);
    pendingFocus.current = cell.id;
    setCells(insertCell(cellsRef.current, index, cell));
  };

  return (
    <BlobAccessContext.Provider value={blobAccess}>
      <main className="page notebook-page">
        <div className="notebook-header">
          <a href="/" onClick={linkClick('/')} className="back-link" title="All notebooks">
            ← Notebooks
          </a>
          <TitleInput title={title} editable={can.edit} onCommit={commitTitle} />
          <SaveIndicator state={save.state} error={save.error} />
          <ExportIpynbButton notebookId={initial.id} title={title} />
          <TimeRangePicker value={settings.timeRange} onChange={setTimeRange} />
          {runtimes && runtimes.length > 1 && (
            <RuntimePicker
              runtimes={runtimes}
              value={runtime?.id ?? ''}
              onChange={(rid) => {
                setRuntimeId(rid);
                writePreference(RUNTIME_KEY, rid);
              }}
            />
          )}
        </div>
        <NotebookTags notebookId={initial.id} initial={initial.tags} editable={can.edit} />

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
            {commands.canUndo && notice?.includes('deleted') && (
              <button
                type="button"
                className="btn btn-link"
                data-testid="notice-undo"
                onClick={commands.undoDelete}
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

        <NotebookToolbar
          can={can}
          actions={commands.toolbar}
          busy={commands.busy}
          canUndo={commands.canUndo}
          canControlKernel={rights?.interrupt ?? true}
          kernel={
            sessionUi.kernel
              ? { state: sessionUi.kernel.state, name: sessionUi.kernel.kernel }
              : null
          }
          connected={sessionUi.phase === 'open'}
        />
        {commands.restartAsk && (
          <RestartConfirm
            then="nothing"
            onCancel={() => {
              commands.setRestartAsk(false);
              commands.commandFocusActive();
            }}
            onConfirm={() => {
              commands.setRestartAsk(false);
              commands.restart('nothing');
              commands.commandFocusActive();
            }}
          />
        )}

        {/* Command mode: keys pressed while a cell (not its editor) has focus. */}
        <CompletionHostContext.Provider value={completionHost}>
          <div
            className="cells"
            data-testid="cells"
            onKeyDown={commands.onCellsKeyDown}
            {...cellDrop.listProps}
          >
            {(progressive.count < cells.length ? cells.slice(0, progressive.count) : cells).map(
              (cell, i) => (
                <CellView
                  key={cell.id}
                  cell={cell}
                  index={i}
                  store={store}
                  actions={actions}
                  can={can}
                  active={selection.active === cell.id}
                  selected={selection.selected.has(cell.id)}
                  linkable={i > 0 && isRunnable(cell)}
                  addBarAbove={i > 0 && can.edit}
                  eager={!loadedIds.has(cell.id)}
                />
              ),
            )}
            {can.edit && progressive.count >= cells.length && (
              <AddCellBar onAdd={(type) => addCell(cellsRef.current.length, type)} />
            )}
            {cellDrop.indicator}
          </div>
        </CompletionHostContext.Provider>
        <p className="shortcuts muted">
          <kbd>Shift</kbd>+<kbd>Enter</kbd> run and advance · <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+
          <kbd>Enter</kbd> run · <kbd>Alt</kbd>+<kbd>Enter</kbd> run and insert below ·{' '}
          <kbd>Tab</kbd> complete · <kbd>Shift</kbd>+<kbd>Tab</kbd> docs · <kbd>Esc</kbd> command
          mode (<kbd>A</kbd>/<kbd>B</kbd> insert, <kbd>D</kbd> <kbd>D</kbd> delete, <kbd>Z</kbd>{' '}
          undo, <kbd>M</kbd>/<kbd>Y</kbd> markdown/code)
        </p>
      </main>
    </BlobAccessContext.Provider>
  );
}
