import type { Notebook } from '@spin/protocol';

/** The cell id the server gives a connection's health check (compileService `health-<id>`). */
const HEALTH_CHECK = /^health-/;

/**
 * Name a cell for the timeline: "Cell 3" by its position in the notebook as loaded, "Connection
 * test" for a connection's Test run in this session, else its id (a cell added since, or deleted).
 */
export function cellLabeller(notebook: Pick<Notebook, 'cells'>): (cellId: string) => string {
  const index = new Map(notebook.cells.map((c, i) => [c.id, i]));
  return (id) => {
    const i = index.get(id);
    if (i !== undefined) return `Cell ${i + 1}`;
    return HEALTH_CHECK.test(id) ? 'Connection test' : id;
  };
}
