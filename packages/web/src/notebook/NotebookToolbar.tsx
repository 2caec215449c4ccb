import { useState } from 'react';
import type { KernelState } from '@spin/protocol';
import { COMMAND_SHORTCUTS } from './commandMode';
import type { NotebookPermissions } from './permissions';

export interface ToolbarActions {
  runAll(): void;
  runAbove(): void;
  runBelow(): void;
  interrupt(): void;
  restart(then: 'nothing' | 'run-all'): void;
  clearOutputs(): void;
  undoDelete(): void;
}

interface Props {
  can: NotebookPermissions;
  actions: ToolbarActions;
  /** A run or a queue of runs is in progress. */
  busy: boolean;
  canUndo: boolean;
  /**
   * The session lets this user interrupt and restart its kernel (its owner; false for an
   * editor watching someone else's session — the runtime would refuse with runtime.not_owner).
   */
  canControlKernel?: boolean;
  /** The kernel's state as the runtime last pushed it, and whether the page is connected. */
  kernel?: { state: KernelState; name: string | null } | null;
  connected?: boolean;
}

const NOT_OWNER = 'Only the session’s owner can interrupt or restart its kernel';

/**
 * The notebook's toolbar (JupyterLab's): run all/above/below, interrupt, restart (asked first:
 * it loses every variable), clear outputs, undo of a cell deletion, and the keyboard help.
 */
export function NotebookToolbar({
  can,
  actions,
  busy,
  canUndo,
  canControlKernel = true,
  kernel = null,
  connected = false,
}: Props) {
  const [confirm, setConfirm] = useState<'nothing' | 'run-all' | null>(null);
  const [help, setHelp] = useState(false);
  return (
    <>
      <div className="notebook-toolbar" role="toolbar" aria-label="Notebook">
        {can.run && (
          <>
            <button
              type="button"
              className="btn"
              data-testid="run-all"
              title="Run every cell, top to bottom; stops at the first error"
              onClick={actions.runAll}
            >
              ▶▶ Run all
            </button>
            <button
              type="button"
              className="btn"
              data-testid="run-above"
              onClick={actions.runAbove}
            >
              Run above
            </button>
            <button
              type="button"
              className="btn"
              data-testid="run-below"
              onClick={actions.runBelow}
            >
              Run below
            </button>
            <button
              type="button"
              className="btn"
              data-testid="interrupt-kernel"
              title={canControlKernel ? 'Interrupt the kernel (I I)' : NOT_OWNER}
              disabled={!busy || !canControlKernel}
              onClick={actions.interrupt}
            >
              ■ Interrupt
            </button>
            <button
              type="button"
              className="btn"
              data-testid="restart-kernel"
              title={canControlKernel ? 'Restart the kernel (0 0)' : NOT_OWNER}
              disabled={!canControlKernel}
              onClick={() => setConfirm('nothing')}
            >
              ↻ Restart
            </button>
            <button
              type="button"
              className="btn"
              data-testid="restart-run-all"
              title={canControlKernel ? undefined : NOT_OWNER}
              disabled={!canControlKernel}
              onClick={() => setConfirm('run-all')}
            >
              Restart &amp; run all
            </button>
          </>
        )}
        {can.edit && (
          <>
            <button
              type="button"
              className="btn"
              data-testid="clear-outputs"
              title="Clear the outputs of every cell (saved with the notebook)"
              onClick={actions.clearOutputs}
            >
              Clear outputs
            </button>
            <button
              type="button"
              className="btn"
              data-testid="undo-delete"
              title="Undo the last cell deletion (Z)"
              disabled={!canUndo}
              onClick={actions.undoDelete}
            >
              ↶ Undo delete
            </button>
          </>
        )}
        <span className="spacer" />
        <KernelBadge kernel={kernel} connected={connected} />
        <button
          type="button"
          className={`btn btn-link${help ? ' active' : ''}`}
          aria-expanded={help}
          aria-controls="shortcut-help"
          onClick={() => setHelp((h) => !h)}
        >
          ⌨ Shortcuts
        </button>
      </div>
      {confirm && (
        <RestartConfirm
          then={confirm}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            actions.restart(confirm);
          }}
        />
      )}
      {help && (
        <div className="shortcut-help" id="shortcut-help" data-testid="shortcut-help">
          <p className="muted">
            Press <kbd>Esc</kbd> to leave a cell&apos;s editor (command mode), <kbd>Enter</kbd> to
            edit it again. In command mode:
          </p>
          <dl>
            {COMMAND_SHORTCUTS.map((s) => (
              <div key={s.command}>
                <dt>
                  <kbd>{s.keys}</kbd>
                </dt>
                <dd>{s.label}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
    </>
  );
}

/** Restarting loses every variable: ask first, with Restart focused so Enter confirms. */
export function RestartConfirm({
  then,
  onConfirm,
  onCancel,
}: {
  then: 'nothing' | 'run-all';
  onConfirm(): void;
  onCancel(): void;
}) {
  return (
    <div
      className="notice notice-warn"
      role="alertdialog"
      aria-labelledby="restart-title"
      data-testid="restart-confirm"
      onKeyDown={(e) => e.key === 'Escape' && onCancel()}
    >
      <span id="restart-title">
        Restart the kernel{then === 'run-all' ? ' and run every cell' : ''}? Its variables are lost.
      </span>{' '}
      <button
        type="button"
        className="btn btn-primary"
        data-testid="restart-confirm-yes"
        autoFocus
        onClick={onConfirm}
      >
        Restart
      </button>{' '}
      <button type="button" className="btn" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

const KERNEL_WORDS: Record<KernelState, string> = {
  starting: 'starting…',
  idle: 'idle',
  busy: 'busy',
  dead: 'dead',
};

/**
 * JupyterLab's kernel indicator: the kernel's name and state (idle ○, busy ●), announced to
 * screen readers as it changes; "no kernel" before the first run starts one.
 */
function KernelBadge({
  kernel,
  connected,
}: {
  kernel: { state: KernelState; name: string | null } | null;
  connected: boolean;
}) {
  const state = !connected ? 'offline' : (kernel?.state ?? 'none');
  const words =
    state === 'offline'
      ? 'not connected'
      : state === 'none'
        ? 'no kernel yet'
        : KERNEL_WORDS[state];
  const name = kernel?.name ?? null;
  return (
    <span
      className={`kernel-badge kernel-${state}`}
      data-testid="kernel-status"
      data-state={state}
      role="status"
      title={
        state === 'none'
          ? 'The kernel starts with the first run'
          : `Kernel${name ? ` ${name}` : ''}: ${words}`
      }
    >
      <span className="kernel-dot" aria-hidden="true" />
      {name ? <span className="kernel-name">{name}</span> : null} {words}
    </span>
  );
}
