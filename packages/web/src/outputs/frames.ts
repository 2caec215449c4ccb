import {
  FRAME_MIME,
  type Field,
  FRAME_SCHEMAS,
  type DataFrame,
  type MimeBundle,
  type Output,
} from '@spin/protocol';
import { findTableSpill, type TableSpill } from './tableSpill';

/**
 * Validated frames by bundle object. Outputs keep their identity as a result streams in (the
 * journal reducer appends), so each page is validated once, not again on every page that
 * follows: re-validating all earlier pages on each arrival was most of the main-thread time of
 * a 100,000-row result (zod walks every cell of every column).
 */
const parsedBundles = new WeakMap<MimeBundle, DataFrame | null>();

/** The SPIN data frame in a MIME bundle, validated; undefined when there is none (or it is malformed). */
export function bundleFrame(bundle: MimeBundle): DataFrame | undefined {
  const cached = parsedBundles.get(bundle);
  if (cached !== undefined) return cached ?? undefined;
  const frame = parseBundleFrame(bundle);
  parsedBundles.set(bundle, frame ?? null);
  return frame;
}

function parseBundleFrame(bundle: MimeBundle): DataFrame | undefined {
  for (const kind of Object.keys(FRAME_MIME) as DataFrame['kind'][]) {
    const mime = FRAME_MIME[kind];
    if (!(mime in bundle)) continue;
    const parsed = FRAME_SCHEMAS[mime].safeParse(bundle[mime]);
    if (parsed.success) return { kind, frame: parsed.data } as DataFrame;
  }
  return undefined;
}

/** What the output area draws: a plain output, or all pages of one streamed frame together. */
export type OutputGroup =
  | { kind: 'output'; output: Output; index: number }
  | { kind: 'frames'; frames: DataFrame[]; index: number; spill?: TableSpill | null };

/**
 * Group a cell's outputs so the pages of one streamed result (same frame kind and
 * `page.frameId`, DESIGN.md §3) show as one table, chart or log view.
 */
export function groupOutputs(
  outputs: readonly Output[],
  /** Every output of the cell, where `outputs` is a part (a cut stream is drawn apart). */
  all: readonly Output[] = outputs,
): OutputGroup[] {
  const groups: OutputGroup[] = [];
  const byFrameId = new Map<string, Extract<OutputGroup, { kind: 'frames' }>>();
  outputs.forEach((output, index) => {
    const frame =
      output.output_type === 'display_data' || output.output_type === 'execute_result'
        ? bundleFrame(output.data)
        : undefined;
    if (!frame) {
      groups.push({ kind: 'output', output, index });
      return;
    }
    const key = `${frame.kind}\u0000${frame.frame.page.frameId}`;
    const group = byFrameId.get(key);
    if (group) group.frames.push(frame);
    else {
      const g = { kind: 'frames' as const, frames: [frame], index };
      byFrameId.set(key, g);
      groups.push(g);
    }
  });
  // a table whose last page never came as a frame may have been cut by the output budget
  for (const g of byFrameId.values()) {
    const first = g.frames[0]!;
    if (first.kind !== 'table' || g.frames.some((f) => f.frame.page.last)) continue;
    g.spill = findTableSpill(
      all,
      first.frame.schema.fields.map((f) => f.name),
    );
  }
  return groups;
}

/** A table result across its pages, columnar: `columns[c][r]` is row r of field c. */
export interface TableData {
  fields: readonly Field[];
  columns: readonly (readonly unknown[])[];
  rowCount: number;
  /** The final page has arrived. */
  complete: boolean;
  /** Rows of the whole result when the source said (`page.total`), else null. */
  total: number | null;
}

type TablePage = Extract<DataFrame, { kind: 'table' }>['frame'];

/** Joined columns by a result's first page: a streamed result grows by appending its new pages. */
const joined = new WeakMap<TablePage, { pages: TablePage[]; columns: unknown[][] }>();

/**
 * Join a table's pages (in page order) column by column. Rows are never materialised as
 * objects or arrays: the grid reads `columns[c][r]` for the rows on screen only. While a result
 * streams in, only the pages that are new since the last call are copied (re-joining all of
 * them on every page was O(n²) over a 100,000-row result); the column arrays are shared and
 * grow, so a reader stops at its own `rowCount`.
 */
export function tableData(frames: readonly DataFrame[]): TableData {
  const pages = frames
    .filter((f): f is Extract<DataFrame, { kind: 'table' }> => f.kind === 'table')
    .map((f) => f.frame)
    .sort((a, b) => a.page.index - b.page.index);
  const fields = pages[0]?.schema.fields ?? [];
  let cache = pages[0] ? joined.get(pages[0]) : undefined;
  if (!cache || cache.pages.some((p, i) => pages[i] !== p)) {
    cache = { pages: [], columns: fields.map(() => []) };
    if (pages[0]) joined.set(pages[0], cache);
  }
  for (const p of pages.slice(cache.pages.length)) {
    p.columns.forEach((col, c) => {
      const out = cache.columns[c];
      if (!out) return;
      for (let r = 0; r < col.length; r++) out.push(col[r]);
    });
    cache.pages.push(p);
  }
  let total: number | null = null;
  for (const p of pages) if (p.page.total !== undefined) total = p.page.total;
  return {
    fields,
    columns: cache.columns,
    rowCount: cache.columns[0]?.length ?? 0,
    complete: pages.some((p) => p.page.last),
    total,
  };
}
