import {
  CELL_TYPES,
  defaultResultVar,
  type Cell,
  type CellType,
  type CellTypeInfo,
} from '@spin/protocol';
import type { CellActions } from './Cell';
import { CellDragHandle } from './cellDrag';
import type { NotebookPermissions } from './permissions';
import type { RunMode } from './notebookModel';

interface Props {
  cell: Cell;
  index: number;
  info: CellTypeInfo | undefined;
  can: NotebookPermissions;
  actions: CellActions;
  /** `data-status` of the cell: running, error, ok… */
  dataStatus: string;
  /** The status text (e.g. "ok · 1.2 s"). */
  label: string;
  running: boolean;
  verified: boolean;
  /** Said when the output budget cut the output (`outputCutSummary`), else null. */
  outputCut: string | null;
  linkable: boolean;
  isMarkdown: boolean;
  showEditor: boolean;
  hasSettings: boolean;
  settingsOpen: boolean;
  setSettingsOpen: (update: (open: boolean) => boolean) => void;
  run: (mode: RunMode) => void;
  startEditing: () => void;
}

/** A cell's toolbar: drag handle, type, settings, run/stop, link, status, move and delete. */
export function CellToolbar({
  cell,
  index,
  info,
  can,
  actions,
  dataStatus,
  label,
  running,
  verified,
  outputCut,
  linkable,
  isMarkdown,
  showEditor,
  hasSettings,
  settingsOpen,
  setSettingsOpen,
  run,
  startEditing,
}: Props) {
  const { id, type } = cell;
  return (
    <div className="cell-toolbar">
      {can.edit && <CellDragHandle cellId={id} index={index} onMove={actions.move} />}
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
      {verified && !running && (
        <span
          className="cell-verified"
          data-testid="cell-verified"
          title="The runtime's signed receipt for this run was verified by the server and recorded in the audit log"
        >
          ✓ audited
        </span>
      )}
      {outputCut && (
        <span
          className="cell-output-cut"
          data-testid="cell-output-cut"
          title="Past the cell's output limit the rest stays on the runtime: scroll the output to read it, or download it"
        >
          {outputCut}
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
  );
}

/**
 * What an off-screen cell shows in place of its toolbar: the type and status as text, at the
 * toolbar's height. The controls arrive when the cell comes near the viewport.
 */
export function CellToolbarStub({
  typeName,
  dataStatus,
  label,
}: {
  typeName: string;
  dataStatus: string;
  label: string;
}) {
  return (
    <div className="cell-toolbar cell-toolbar-stub">
      <span className="cell-type-name">{typeName}</span>
      <span
        className={`cell-status cell-status-${dataStatus}`}
        data-testid="cell-status"
        aria-live="polite"
      >
        {label}
      </span>
    </div>
  );
}
