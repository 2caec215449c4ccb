import { RESULT_FILES } from './resultCollector.js';

/**
 * Python side of "results as data" (DESIGN.md §3): the `CellResult` class a Python kernel of the
 * session gets once, and the statements that bind session variables to stored results. Data
 * never travels as code text: the class reads the result's files (in the session's work dir,
 * which the kernel can read even when sandboxed) on first use.
 */
const CLASS_DEFINITION = String.raw`
def _spin_define_cell_result():
    import json as _json
    import os as _os

    _missing = object()

    class CellResult:
        """Result of a SPIN integration cell: .columns, .rows, .df (pandas), .raw."""

        def __init__(self, path):
            self._path = path
            with open(_os.path.join(path, ${JSON.stringify(RESULT_FILES.meta)}), encoding="utf-8") as f:
                self._meta = _json.load(f)
            self._rows = None
            self._raw = _missing
            self._df = None

        kind = property(lambda self: self._meta["kind"])
        schema = property(lambda self: [dict(c) for c in self._meta["columns"]])
        columns = property(lambda self: [c["name"] for c in self._meta["columns"]])
        row_count = property(lambda self: self._meta["rowCount"])
        truncated = property(lambda self: self._meta["truncated"])
        cell = property(lambda self: self._meta["cell"])
        time_range = property(lambda self: self._meta.get("timeRange"))

        @property
        def rows(self):
            """The rows as dicts keyed by column name."""
            if self._rows is None:
                path = _os.path.join(self._path, ${JSON.stringify(RESULT_FILES.rows)})
                if _os.path.exists(path):
                    with open(path, encoding="utf-8") as f:
                        self._rows = [_json.loads(line) for line in f if line.strip()]
                else:
                    self._rows = []
            return self._rows

        @property
        def raw(self):
            """The source's own answer (or the command's standard output)."""
            if self._raw is _missing:
                with open(_os.path.join(self._path, ${JSON.stringify(RESULT_FILES.raw)}), encoding="utf-8") as f:
                    self._raw = _json.load(f)
            return self._raw

        @property
        def df(self):
            """The rows as a pandas DataFrame; time columns as UTC datetimes."""
            if self._df is None:
                try:
                    import pandas as pd
                except ImportError as e:
                    raise ImportError("CellResult.df needs pandas; .rows has the same data") from e
                df = pd.DataFrame.from_records(self.rows, columns=self.columns)
                for c in self._meta["columns"]:
                    if c["type"] == "time":
                        df[c["name"]] = pd.to_datetime(df[c["name"]], unit="ms", utc=True)
                self._df = df
            return self._df

        def __len__(self):
            return self._meta["rowCount"]

        def __iter__(self):
            return iter(self.rows)

        def __repr__(self):
            cols = ", ".join(self.columns[:8]) + (", …" if len(self.columns) > 8 else "")
            cut = ", truncated" if self.truncated else ""
            return f"<CellResult {self.kind} from cell {self.cell}: {self.row_count} rows{cut} [{cols}]>"

    return CellResult


_spin_CellResult = _spin_define_cell_result()
del _spin_define_cell_result
if "CellResult" not in globals():
    CellResult = _spin_CellResult
`;

/**
 * Code for one silent `execute_request` (store_history=False) that defines the class if this
 * kernel lacks it and binds each `name` to the result stored in `dir`. Names are Python
 * identifiers (protocol `ResultVarSchema`); paths are JSON strings, which are valid Python
 * string literals.
 */
export function bindResultsCode(bindings: readonly { name: string; dir: string }[]): string {
  const assign = bindings
    .map((b) => `globals()[${JSON.stringify(b.name)}] = _spin_CellResult(${JSON.stringify(b.dir)})`)
    .join('\n');
  return `if "_spin_CellResult" not in globals():\n${indent(CLASS_DEFINITION)}\n${assign}\n`;
}

function indent(code: string): string {
  return code
    .split('\n')
    .map((l) => (l.trim() ? `    ${l}` : ''))
    .join('\n');
}

/**
 * Code for one silent `execute_request` that merges the program's notebook template values
 * into the kernel's `spin_vars` dict (templateVariables.ts: Python source is never templated).
 * The values travel as one JSON string literal that `json.loads` reads, never as code.
 */
export function bindTemplateValuesCode(vars: Readonly<Record<string, unknown>>): string {
  return (
    `globals().setdefault("spin_vars", {}).update(` +
    `__import__("json").loads(${JSON.stringify(JSON.stringify(vars))}))\n`
  );
}
