import {
  FRAME_MIME,
  FRAME_SCHEMAS,
  type DataFrame,
  type MimeBundle,
  type Output,
} from '@spin/protocol';

/** The SPIN data frame in a MIME bundle, validated; undefined when there is none (or it is malformed). */
export function bundleFrame(bundle: MimeBundle): DataFrame | undefined {
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
  | { kind: 'frames'; frames: DataFrame[]; index: number };

/**
 * Group a cell's outputs so the pages of one streamed result (same frame kind and
 * `page.frameId`, DESIGN.md §3) show as one table, chart or log view.
 */
export function groupOutputs(outputs: readonly Output[]): OutputGroup[] {
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
  return groups;
}

/** A table's rows across its pages, row-major, in page order. */
export function tableRows(frames: readonly DataFrame[]): unknown[][] {
  const rows: unknown[][] = [];
  for (const f of [...frames].sort((a, b) => a.frame.page.index - b.frame.page.index)) {
    if (f.kind !== 'table') continue;
    const n = f.frame.columns[0]?.length ?? 0;
    for (let r = 0; r < n; r++) rows.push(f.frame.columns.map((c) => c[r]));
  }
  return rows;
}
