import { useTheme } from '../app/theme';
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '@spin/protocol';
import { alignSeries, seriesLabel } from './seriesAlign';

/** Distinct, colour-blind-friendly line colours (Okabe–Ito, then Tableau). */
const COLOURS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
  '#4E79A7',
  '#F28E2B',
  '#59A14F',
];
const HEIGHT = 260;

/**
 * A time-series result drawn with uPlot: one line per series, a legend with each series' value
 * under the crosshair, drag to zoom into a time span, double-click to zoom out again.
 */
export function TimeSeriesChart({ series, unit }: { series: readonly Series[]; unit?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const data = useMemo(() => alignSeries(series), [series]);
  const labels = useMemo(() => series.map(seriesLabel), [series]);
  // the canvas does not see CSS variables: axes take the theme's colours when drawn
  const { theme } = useTheme();

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const css = getComputedStyle(el);
    const fg = css.getPropertyValue('--muted').trim() || '#687085';
    const grid = css.getPropertyValue('--border').trim() || '#dde1e8';
    const axis = {
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
    };
    const opts: uPlot.Options = {
      width: Math.max(320, el.clientWidth),
      height: HEIGHT,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, label: unit, size: 60 }],
      series: [
        {},
        ...labels.map((label, i) => ({
          label,
          stroke: COLOURS[i % COLOURS.length],
          width: 1.5,
          spanGaps: false,
          points: { show: false },
        })),
      ],
      legend: { live: true },
    };
    const chart = new uPlot(opts, data as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(320, el.clientWidth), height: HEIGHT }),
    );
    ro.observe(el);
    return () => {
      ro.disconnect();
      chart.destroy();
    };
  }, [data, labels, unit, theme]);

  return (
    <div
      className="timeseries-chart"
      data-testid="timeseries-chart"
      ref={host}
      role="img"
      aria-label={`Time series chart of ${labels.length} series: ${labels.slice(0, 5).join('; ')}${labels.length > 5 ? '…' : ''}`}
    />
  );
}
