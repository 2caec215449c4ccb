import type { WorkspaceRole } from '@spin/protocol';

/**
 * Role inheritance down the workspace tree (issue 7): a member of a workspace is a member of
 * every descendant with at least that role. Roles are ordered; the effective role in a
 * workspace is the strongest grant on it or any ancestor.
 */
export const ROLE_RANK: Readonly<Record<WorkspaceRole, number>> = {
  viewer: 1,
  agent: 2,
  editor: 3,
  owner: 4,
};

/** The stronger of two roles (null: no grant). */
export function strongerRole(
  a: WorkspaceRole | null,
  b: WorkspaceRole | null,
): WorkspaceRole | null {
  if (a === null) return b;
  if (b === null) return a;
  return ROLE_RANK[a] >= ROLE_RANK[b] ? a : b;
}

/** The effective role from a chain of direct grants (the workspace and its ancestors). */
export function inheritedRole(
  chain: readonly { role: WorkspaceRole | null }[],
): WorkspaceRole | null {
  return chain.reduce<WorkspaceRole | null>((best, link) => strongerRole(best, link.role), null);
}

/** A workspace as the tree sees it. */
export interface TreeNode {
  id: string;
  parentId: string | null;
}

/** Longest parent chain followed; deeper (or cyclic) data stops here instead of looping. */
export const MAX_DEPTH = 64;

/** `id` and its ancestors, nearest first. */
export function ancestorsOf(nodes: ReadonlyMap<string, TreeNode>, id: string): string[] {
  const out: string[] = [];
  for (let at: string | null = id; at !== null && out.length < MAX_DEPTH;) {
    if (out.includes(at)) break;
    out.push(at);
    at = nodes.get(at)?.parentId ?? null;
  }
  return out;
}

/** Whether making `parentId` the parent of `id` would put `id` under itself. */
export function wouldCycle(
  nodes: ReadonlyMap<string, TreeNode>,
  id: string,
  parentId: string,
): boolean {
  return ancestorsOf(nodes, parentId).includes(id);
}

/**
 * Effective roles of one user in every workspace of the tree, from the user's direct grants:
 * each workspace gets the strongest grant on it or an ancestor. Workspaces without one are absent.
 */
export function effectiveRoles(
  nodes: readonly TreeNode[],
  direct: ReadonlyMap<string, WorkspaceRole>,
): Map<string, WorkspaceRole> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Map<string, WorkspaceRole>();
  for (const node of nodes) {
    const role = inheritedRole(
      ancestorsOf(byId, node.id).map((id) => ({ role: direct.get(id) ?? null })),
    );
    if (role) out.set(node.id, role);
  }
  return out;
}
