import type { ErrorInfo } from '../app/api';
import type { SaveState } from './autosaver';

/** localStorage can be unavailable (privacy modes, storage quotas): preferences are optional. */
export function readPreference(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
export function writePreference(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // not remembered; the picker still works for this page
  }
}

export function SaveIndicator({ state, error }: { state: SaveState; error: ErrorInfo | null }) {
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
