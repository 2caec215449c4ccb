import { CELL_TYPES, type CellType } from '@spin/protocol';

/** Buttons that add a cell of each type, in registry order (built-ins and every processor). */
export function AddCellBar({
  onAdd,
  subtle,
}: {
  onAdd: (type: CellType) => void;
  subtle?: boolean;
}) {
  return (
    <div className={`add-cell-bar${subtle ? ' subtle' : ''}`} data-testid="add-cell-bar">
      {CELL_TYPES.map((t) => (
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
    </div>
  );
}
