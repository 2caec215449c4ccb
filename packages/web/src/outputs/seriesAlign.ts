import type { Series } from '@spin/protocol';

/**
 * Series on one shared time axis, as uPlot wants them: `[xs, ys0, ys1, …]` where `xs` are
 * seconds (sorted, unique) and each `ys` has a value or null at every x. Series with their own
 * timestamps (Prometheus steps, irregular samples) line up; gaps stay gaps.
 */
export function alignSeries(series: readonly Series[]): [number[], ...(number | null)[][]] {
  const all = new Set<number>();
  for (const s of series) for (const t of s.timestamps) all.add(t);
  const xsMs = [...all].sort((a, b) => a - b);
  const at = new Map(xsMs.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array<number | null>(xsMs.length).fill(null);
    s.timestamps.forEach((t, i) => {
      const v = s.values[i];
      col[at.get(t)!] =
        v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : v;
    });
    return col;
  });
  return [xsMs.map((t) => t / 1000), ...ys];
}

/** A series' legend label: its name, else its labels as PromQL writes them. */
export function seriesLabel(s: Pick<Series, 'name' | 'labels'>): string {
  const labels = Object.entries(s.labels)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  const metric = s.labels.__name__ ?? s.name;
  if (metric && labels) return `${metric}{${labels}}`;
  return metric || (labels ? `{${labels}}` : 'value');
}
