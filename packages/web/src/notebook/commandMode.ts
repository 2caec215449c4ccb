/**
 * Jupyter's command mode (JupyterLab's default notebook shortcuts): which command a key press
 * means while no editor has focus. Pure, so every shortcut is unit-tested; the editor applies
 * the commands.
 */

export type NotebookCommand =
  | 'edit'
  | 'run-advance'
  | 'run-stay'
  | 'run-insert-below'
  | 'insert-above'
  | 'insert-below'
  | 'delete'
  | 'undo-delete'
  | 'to-markdown'
  | 'to-code'
  | 'select-up'
  | 'select-down'
  | 'extend-up'
  | 'extend-down'
  | 'select-all'
  | 'copy'
  | 'cut'
  | 'paste-below'
  | 'paste-above'
  | 'move-up'
  | 'move-down'
  | 'interrupt'
  | 'restart'
  | 'save';

/** The parts of a KeyboardEvent the keymap reads. */
export interface KeyPress {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

/** Keys pressed twice in a row within this many ms: D D, I I, 0 0. */
export const DOUBLE_PRESS_MS = 800;

/** One shortcut as the help lists it. */
export interface Shortcut {
  keys: string;
  command: NotebookCommand;
  label: string;
}

/** Every command-mode shortcut, in the order the help shows them. */
export const COMMAND_SHORTCUTS: readonly Shortcut[] = [
  { keys: 'Enter', command: 'edit', label: 'edit the cell' },
  { keys: 'Shift+Enter', command: 'run-advance', label: 'run, select the next cell' },
  { keys: 'Ctrl+Enter', command: 'run-stay', label: 'run the selected cells' },
  { keys: 'Alt+Enter', command: 'run-insert-below', label: 'run, insert a cell below' },
  { keys: 'A', command: 'insert-above', label: 'insert a cell above' },
  { keys: 'B', command: 'insert-below', label: 'insert a cell below' },
  { keys: 'D D', command: 'delete', label: 'delete the selected cells' },
  { keys: 'Z', command: 'undo-delete', label: 'undo the last cell deletion' },
  { keys: 'M', command: 'to-markdown', label: 'make it a markdown cell' },
  { keys: 'Y', command: 'to-code', label: 'make it a code cell' },
  { keys: '↑ / K', command: 'select-up', label: 'select the cell above' },
  { keys: '↓ / J', command: 'select-down', label: 'select the cell below' },
  { keys: 'Shift+↑ / Shift+K', command: 'extend-up', label: 'extend the selection up' },
  { keys: 'Shift+↓ / Shift+J', command: 'extend-down', label: 'extend the selection down' },
  { keys: 'Ctrl+A', command: 'select-all', label: 'select all cells' },
  { keys: 'C', command: 'copy', label: 'copy the selected cells' },
  { keys: 'X', command: 'cut', label: 'cut the selected cells' },
  { keys: 'V', command: 'paste-below', label: 'paste below' },
  { keys: 'Shift+V', command: 'paste-above', label: 'paste above' },
  { keys: 'Ctrl+Shift+↑', command: 'move-up', label: 'move the selected cells up' },
  { keys: 'Ctrl+Shift+↓', command: 'move-down', label: 'move the selected cells down' },
  { keys: 'I I', command: 'interrupt', label: 'interrupt the kernel' },
  { keys: '0 0', command: 'restart', label: 'restart the kernel' },
  { keys: 'Ctrl+S', command: 'save', label: 'save now' },
];

/** What the previous key press left pending (the first D of D D). */
export interface PendingKey {
  key: string;
  at: number;
}

/**
 * Resolve a key press in command mode. Returns the command (or null) and the key now pending
 * for a double press. Keys with modifiers that Jupyter does not bind are left to the browser.
 */
export function commandFor(
  e: KeyPress,
  pending: PendingKey | null,
  now: number,
): { command: NotebookCommand | null; pending: PendingKey | null } {
  const mod = e.ctrlKey || e.metaKey;
  const none = { command: null, pending: null };
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;

  if (key === 'Enter') {
    if (e.shiftKey && !mod && !e.altKey) return { command: 'run-advance', pending: null };
    if (mod && !e.shiftKey && !e.altKey) return { command: 'run-stay', pending: null };
    if (e.altKey && !mod && !e.shiftKey) return { command: 'run-insert-below', pending: null };
    if (!mod && !e.altKey && !e.shiftKey) return { command: 'edit', pending: null };
    return none;
  }
  if (mod && e.shiftKey && !e.altKey) {
    if (key === 'ArrowUp') return { command: 'move-up', pending: null };
    if (key === 'ArrowDown') return { command: 'move-down', pending: null };
    return none;
  }
  if (mod && !e.altKey && !e.shiftKey) {
    if (key === 'a') return { command: 'select-all', pending: null };
    if (key === 's') return { command: 'save', pending: null };
    return none; // Ctrl+C etc. stay the browser's
  }
  if (e.altKey || mod) return none;

  if (key === 'ArrowUp' || key === 'k')
    return { command: e.shiftKey ? 'extend-up' : 'select-up', pending: null };
  if (key === 'ArrowDown' || key === 'j')
    return { command: e.shiftKey ? 'extend-down' : 'select-down', pending: null };
  if (key === 'v') return { command: e.shiftKey ? 'paste-above' : 'paste-below', pending: null };
  if (e.shiftKey) return none;

  const doubles: Record<string, NotebookCommand> = { d: 'delete', i: 'interrupt', '0': 'restart' };
  const double = doubles[key];
  if (double) {
    if (pending && pending.key === key && now - pending.at <= DOUBLE_PRESS_MS) {
      return { command: double, pending: null };
    }
    return { command: null, pending: { key, at: now } };
  }
  const singles: Record<string, NotebookCommand> = {
    a: 'insert-above',
    b: 'insert-below',
    z: 'undo-delete',
    m: 'to-markdown',
    y: 'to-code',
    c: 'copy',
    x: 'cut',
  };
  const single = singles[key];
  return single ? { command: single, pending: null } : none;
}
