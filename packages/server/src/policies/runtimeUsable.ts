import type { WorkspaceRole } from '@spin/protocol';
import { roleAllows } from './rolePolicy.js';

/**
 * The one rule for which runtimes a workspace may use: those registered in the workspace or
 * in one of its ancestors (issue 7: children inherit runtimes). `ancestry` is the workspace and
 * its ancestors, as a grant carries it. Every caller (session open, access tokens, compile,
 * listing) goes through here.
 */
export function runtimeUsableIn(
  runtime: { workspaceId: string },
  ancestry: readonly string[],
): boolean {
  return ancestry.includes(runtime.workspaceId);
}

/**
 * Who may fetch a runtime's sealed credential bundle (to relay it; it cannot read it): someone
 * who may run cells, in a workspace that is not archived, that may use the runtime — the
 * runtime's own workspace or a descendant (a member of only a child workspace runs cells there
 * too). `hidden`: no visible workspace uses the runtime (answer 404, existence not leaked);
 * `denied`: visible, but no role that runs cells (403).
 */
export function credentialSyncVerdict(
  memberships: readonly {
    role: WorkspaceRole;
    ancestry: readonly string[];
    archived: boolean;
  }[],
  runtime: { workspaceId: string },
): 'allowed' | 'denied' | 'hidden' {
  const using = memberships.filter((m) => runtimeUsableIn(runtime, m.ancestry));
  if (using.length === 0) return 'hidden';
  return using.some((m) => roleAllows(m.role, 'credentials.sync') && !m.archived)
    ? 'allowed'
    : 'denied';
}
