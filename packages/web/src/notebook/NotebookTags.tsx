import { useState, type KeyboardEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, toErrorInfo, type ErrorInfo } from '../app/api';
import { keys } from '../app/queryKeys';

const MAX_TAGS = 50;
const MAX_LENGTH = 64;

/**
 * The notebook's tags (labels for finding it in the list), under its title: each saved at once
 * through `PUT /notebooks/:id/tags` (not a new version). Enter or a comma adds what was typed,
 * Backspace in the empty field removes the last; viewers see them read-only.
 */
export function NotebookTags({
  notebookId,
  initial,
  editable,
}: {
  notebookId: string;
  initial: readonly string[];
  editable: boolean;
}) {
  const queryClient = useQueryClient();
  const [tags, setTags] = useState<string[]>([...initial]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (next: string[]) => {
    const before = tags;
    setTags(next);
    setError(null);
    setBusy(true);
    try {
      const saved = await api.setNotebookTags(notebookId, next);
      setTags(saved.tags);
      void queryClient.invalidateQueries({ queryKey: keys.notebooks.all });
    } catch (err) {
      setTags(before);
      setError(toErrorInfo(err));
    } finally {
      setBusy(false);
    }
  };

  const add = () => {
    const typed = draft
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t.length > 0);
    if (typed.length === 0) return;
    const tooLong = typed.find((t) => t.length > MAX_LENGTH);
    if (tooLong) {
      setError({ code: 'tag.too_long', message: `a tag has at most ${MAX_LENGTH} characters` });
      return;
    }
    const next = [...new Set([...tags, ...typed])];
    if (next.length > MAX_TAGS) {
      setError({ code: 'tag.too_many', message: `a notebook has at most ${MAX_TAGS} tags` });
      return;
    }
    setDraft('');
    if (next.length !== tags.length) void save(next);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter' || e.key === ',') {
      e.preventDefault();
      add();
    } else if (e.key === 'Backspace' && draft === '' && tags.length > 0) {
      e.preventDefault();
      void save(tags.slice(0, -1));
    }
  };

  if (!editable && tags.length === 0) return null;
  return (
    <div className="notebook-tag-editor" data-testid="notebook-tag-editor">
      <ul className="notebook-tags" aria-label="Tags">
        {tags.map((t) => (
          <li key={t} className="tag tag-static" data-testid="notebook-tag">
            #{t}
            {editable && (
              <button
                type="button"
                className="tag-remove"
                aria-label={`Remove tag ${t}`}
                disabled={busy}
                onClick={() => void save(tags.filter((x) => x !== t))}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {editable && (
        <input
          className="tag-input"
          data-testid="notebook-tag-input"
          aria-label="Add a tag"
          placeholder={tags.length === 0 ? 'Add tags…' : 'Add a tag'}
          value={draft}
          maxLength={MAX_LENGTH * 4}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={add}
        />
      )}
      {error && (
        <span className="tag-error" role="alert">
          <code>{error.code}</code> {error.message}
        </span>
      )}
    </div>
  );
}
