import { useEffect, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { NotebookListItem, Workspace } from '@spin/protocol';
import { api } from '../app/api';
import { keys } from '../app/queryKeys';

/** What the notebook list shows: text (title or any cell's source), a tag, a workspace. */
export interface NotebookFilter {
  q: string;
  tag: string;
  /** '' = every workspace the user may see. */
  workspaceId: string;
}

const PAGE = 500;

/** The filter kept in the address (`/?q=…&tag=…&workspace=…`), so a search can be shared. */
export function readFilter(search: string): NotebookFilter {
  const p = new URLSearchParams(search);
  return { q: p.get('q') ?? '', tag: p.get('tag') ?? '', workspaceId: p.get('workspace') ?? '' };
}

export function filterSearch(f: NotebookFilter): string {
  const p = new URLSearchParams();
  if (f.q.trim()) p.set('q', f.q.trim());
  if (f.tag) p.set('tag', f.tag);
  if (f.workspaceId) p.set('workspace', f.workspaceId);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** `value`, once it stopped changing for `ms` (typing in the search box asks once). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

export interface NotebookSearchResult {
  items: NotebookListItem[];
  /** Matches in all, including those past the first page of a workspace. */
  total: number;
}

/**
 * The server searches one workspace at a time (`GET /workspaces/:id/notebooks`, which checks
 * the caller may view it); the list asks each chosen workspace at once and merges, newest first.
 */
export function useNotebookSearch(
  workspaces: readonly Workspace[] | undefined,
  filter: NotebookFilter,
) {
  const scope = filter.workspaceId
    ? (workspaces ?? []).filter((w) => w.id === filter.workspaceId)
    : (workspaces ?? []);
  const ids = scope.map((w) => w.id);
  return useQuery({
    queryKey: keys.notebooks.search(ids, filter.q.trim(), filter.tag),
    queryFn: async (): Promise<NotebookSearchResult> => {
      const pages = await Promise.all(
        ids.map((id) =>
          api.searchNotebooks(id, {
            limit: PAGE,
            ...(filter.q.trim() ? { q: filter.q.trim() } : {}),
            ...(filter.tag ? { tag: filter.tag } : {}),
          }),
        ),
      );
      const byId = new Map<string, NotebookListItem>();
      for (const page of pages) for (const nb of page.items) byId.set(nb.id, nb);
      const items = [...byId.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
      return { items, total: pages.reduce((n, p) => n + p.total, 0) };
    },
    enabled: workspaces !== undefined,
    placeholderData: keepPreviousData,
  });
}
