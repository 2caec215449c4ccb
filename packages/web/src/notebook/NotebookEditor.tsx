import { Fragment, useEffect, useMemo, useRef, useState } from 'react';
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
import { Autosaver, type SaveState } from './autosaver';
import { AddCellBar } from './AddCellBar';
import { CellView, type CellActions, type CellFocusHandle } from './Cell';
import { CellRunStore } from './cellRunStore';
import {
  cellInput,
  cellInputs,
  emptyCell,
  initialFocus,
  insertCell,
  planAfterRun,
  removeCell,
  retypeCell,
  sameContent,
  updateCell,
} from './notebookModel';
import { notebookPermissions } from './permissions';
import { TimeRangePicker } from './TimeRangePicker';
import { useNotebookSession } from './useNotebookSession';
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
    store,
    snapshot: () => ({
      knownJtis: cellsRef.current.flatMap((c) => (c.lastRun ? [c.lastRun.jti] : [])),
      cellIds: cellsRef.current.map((c) => c.id),
    }),
  });

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
  const execute = async (input: CellInput) => {
    store.setPending(input.id, true);
    await saver.flush(); // a failed save does not stop the run: compile takes the source itself
    try {
      const s = await session.ready();
      await s.run(input, { timeRange: settingsRef.current.timeRange });
      store.setPending(input.id, false);
    } catch (err) {
      store.setError(input.id, toErrorInfo(err));
    }
  };

  const addCell = (index: number, type: CellType) => {
    const cell = emptyCell(type);
    pendingFocus.current = cell.id;
    setCells(insertCell(cellsRef.current, index, cell));
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
      remove: (cellId) => setCells(removeCell(cellsRef.current, cellId)),
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
        } else if (plan.focusId) {
          focusHandles.current.get(plan.focusId)?.focus();
        }
        const kind = cellTypeInfo(cell.type)?.kind;
        if ((kind === 'kernel' || kind === 'processor') && canRef.current.run) {
          void execute(cellInput(cell));
        }
      },
    }),
    // Empty deps on purpose: setCells/execute only read refs and objects stable for the page.
    [],
  );

  return (
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

      <div className="cells">
        {cells.map((cell, i) => (
          <Fragment key={cell.id}>
            {i > 0 && can.edit && <AddCellBar onAdd={(type) => addCell(i, type)} subtle />}
            <CellView cell={cell} index={i} store={store} actions={actions} can={can} />
          </Fragment>
        ))}
        {can.edit && <AddCellBar onAdd={(type) => addCell(cellsRef.current.length, type)} />}
      </div>
      <p className="shortcuts muted">
        <kbd>Shift</kbd>+<kbd>Enter</kbd> run and advance · <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+
        <kbd>Enter</kbd> run · <kbd>Alt</kbd>+<kbd>Enter</kbd> run and insert below · <kbd>Esc</kbd>{' '}
        leave the editor
      </p>
    </main>
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
