import type { WorkspaceDetail } from '@spin/protocol';

/** A workspace in display order, with its depth under the top-most visible ancestor. */
export interface TreeRow {
  workspace: WorkspaceDetail;
  depth: number;
}

/**
 * The workspaces as an indented tree: each after its parent, siblings by name. A workspace
 * whose parent the caller cannot see starts a tree of its own.
 */
export function workspaceTree(workspaces: readonly WorkspaceDetail[]): TreeRow[] {
  const ids = new Set(workspaces.map((w) => w.id));
  const children = new Map<string | null, WorkspaceDetail[]>();
  for (const w of workspaces) {
    const parent = w.parentId !== null && ids.has(w.parentId) ? w.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), w]);
  }
  const out: TreeRow[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number) => {
    const list = [...(children.get(parent) ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    for (const w of list) {
      if (seen.has(w.id)) continue;
      seen.add(w.id);
      out.push({ workspace: w, depth });
      walk(w.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** Workspaces `id` may be moved under: not itself, nor anything inside it. */
export function possibleParents(
  workspaces: readonly WorkspaceDetail[],
  id: string,
): WorkspaceDetail[] {
  const byId = new Map(workspaces.map((w) => [w.id, w]));
  const inside = (w: WorkspaceDetail): boolean => {
    const seen = new Set<string>();
    for (let at: WorkspaceDetail | undefined = w; at && !seen.has(at.id);) {
      if (at.id === id) return true;
      seen.add(at.id);
      at = at.parentId ? byId.get(at.parentId) : undefined;
    }
    return false;
  };
  return workspaces.filter(
    (w) => w.allowedActions.includes('workspace.create_child') && !inside(w),
  );
}
