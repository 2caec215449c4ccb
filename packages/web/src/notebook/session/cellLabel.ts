import type { Notebook } from '@spin/protocol';

/**
 * Name a cell for the timeline: "Cell 3" by its position in the notebook as loaded, else its id
 * (a cell added since, or deleted).
 */
export function cellLabeller(notebook: Pick<Notebook, 'cells'>): (cellId: string) => string {
  const index = new Map(notebook.cells.map((c, i) => [c.id, i]));
  return (id) => {
    const i = index.get(id);
    return i === undefined ? id : `Cell ${i + 1}`;
  };
}
