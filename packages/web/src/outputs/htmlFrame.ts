/**
 * A sandboxed iframe (`sandbox=""`: no scripts, opaque origin) cannot be measured from the
 * parent, so size it from the markup: rows and line-ish breaks at ~22px each, clamped to a
 * sensible range. The frame is resizable and scrolls for anything taller.
 */
export function estimateHtmlHeight(html: string, min = 48, max = 420): number {
  const rows = (html.match(/<(tr|li|br|p|div|h[1-6]|pre)\b/gi) ?? []).length;
  const lines = html.split('\n').length;
  const estimate = 24 + Math.max(rows, Math.min(lines, 4)) * 24;
  return Math.max(min, Math.min(max, estimate));
}

/** Readable defaults for HTML outputs (pandas tables), placed before the output's own markup. */
const FRAME_STYLE =
  '<style>body{margin:6px;font:13px/1.45 system-ui,sans-serif;color:#1d2330}' +
  'table{border-collapse:collapse;font-variant-numeric:tabular-nums}' +
  'th,td{border:1px solid #dde1e8;padding:3px 8px;text-align:right}' +
  'thead th,tr:first-child th{background:#f4f5f8}</style>';

/** The `srcdoc` of a sandboxed HTML output frame. */
export function frameDocument(html: string): string {
  return `<!doctype html><meta charset="utf-8">${FRAME_STYLE}${html}`;
}
