import { CELL_TYPES, type CellType } from '@spin/protocol';

/** Kernel and markdown cells, and processors pinned beside them (Shell). */
const isQuick = (t: (typeof CELL_TYPES)[number]) => !t.manifest || t.manifest.pinned === true;
const QUICK = CELL_TYPES.filter(isQuick);
const INTEGRATIONS = CELL_TYPES.filter((t) => !isQuick(t));

/**
 * Add a cell of a type, in registry order. The bar at the end of the notebook has a button per
 * type (built-ins and every processor); the slim bar between two cells has the kernel and
 * markdown cells, the processors that are `pinned` (Shell), and a menu of the integrations, so
 * it stays one row however many processors there are.
 */
export function AddCellBar({
  onAdd,
  subtle,
}: {
  onAdd: (type: CellType) => void;
  subtle?: boolean;
}) {
  const buttons = subtle ? QUICK : CELL_TYPES;
  return (
    <div className={`add-cell-bar${subtle ? ' subtle' : ''}`} data-testid="add-cell-bar">
      {buttons.map((t) => (
        <button
          key={t.type}
          type="button"
          className="btn btn-add"
          data-testid={`add-cell-${t.type}`}
          title={
            t.manifest
              ? `Add a ${t.name} cell here: ${t.manifest.description}`
              : `Add a ${t.name} cell here`
          }
          onClick={() => onAdd(t.type)}
        >
          + {t.name}
        </button>
      ))}
      {subtle && INTEGRATIONS.length > 0 && (
        <select
          className="btn btn-add"
          aria-label="Add an integration cell here"
          data-testid="add-cell-integration"
          value=""
          onChange={(e) => {
            if (e.target.value) onAdd(e.target.value as CellType);
          }}
        >
          <option value="">+ Integration…</option>
          {INTEGRATIONS.map((t) => (
            <option key={t.type} value={t.type}>
              {t.name}
            </option>
          ))}
        </select>
      )}
    </div>
  );
}
