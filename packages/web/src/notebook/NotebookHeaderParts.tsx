import { useEffect, useState } from 'react';
import type { Runtime } from '@spin/protocol';

/**
 * The notebook's title, edited in place: Enter or leaving the field commits it (an empty title
 * goes back to the saved one), Escape drops the edit. Follows `title` when it changes elsewhere
 * (a reload after a conflict).
 */
export function TitleInput({
  title,
  editable,
  onCommit,
}: {
  title: string;
  editable: boolean;
  onCommit: (title: string) => void;
}) {
  const [draft, setDraft] = useState(title);
  useEffect(() => setDraft(title), [title]);
  const commit = () => {
    const t = draft.trim();
    if (!t) setDraft(title);
    else if (t !== title) onCommit(t);
  };
  return (
    <input
      className="notebook-title"
      data-testid="notebook-title"
      aria-label="Notebook title"
      value={draft}
      readOnly={!editable}
      maxLength={300}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          commit();
          e.currentTarget.blur();
        } else if (e.key === 'Escape') {
          setDraft(title);
          e.currentTarget.blur();
        }
      }}
    />
  );
}

/** Which runtime the page runs on, when the workspace may use more than one. */
export function RuntimePicker({
  runtimes,
  value,
  onChange,
}: {
  runtimes: readonly Runtime[];
  value: string;
  onChange: (id: string) => void;
}) {
  return (
    <label className="runtime-picker">
      Runtime{' '}
      <select data-testid="runtime-select" value={value} onChange={(e) => onChange(e.target.value)}>
        {runtimes.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name}
          </option>
        ))}
      </select>
    </label>
  );
}
