/**
 * The one rule for which runtimes a workspace may use: today, the runtimes registered in that
 * workspace. Issue 7 (nested workspaces) extends it to runtimes of ancestor workspaces — every
 * caller (session open, access tokens, compile, listing) goes through here, so that is one
 * change.
 */
export function runtimeUsableIn(runtime: { workspaceId: string }, workspaceId: string): boolean {
  return runtime.workspaceId === workspaceId;
}
