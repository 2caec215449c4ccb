/**
 * What the notebook page lets the user do, from the `allowedActions` the server returned with
 * the notebook (the server decides; this only hides controls that would be refused). A server
 * that does not send the list gets every control, and refuses what it must.
 */
export interface NotebookPermissions {
  /** Run cells (compile on the server): `notebook.run`. */
  run: boolean;
  /** Edit the title and cells, add, retype and delete cells: `notebook.edit`. */
  edit: boolean;
}

/** Permissions from a notebook's `allowedActions`. */
export function notebookPermissions(allowed: readonly string[] | undefined): NotebookPermissions {
  if (allowed === undefined) return { run: true, edit: true };
  return { run: allowed.includes('notebook.run'), edit: allowed.includes('notebook.edit') };
}
