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
