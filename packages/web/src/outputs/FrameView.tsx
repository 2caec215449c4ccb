import { useDeferredValue, useMemo, useState } from 'react';
import type { DataFrame, Series } from '@spin/protocol';
import { seriesLabel } from './seriesAlign';
import { tableData } from './frames';
import { DataGrid } from './DataGrid';
import type { TableSpill } from './tableSpill';
import { TimeSeriesChart } from './TimeSeriesChart';

/** One result of a processor (all its pages): a table, a series summary or log lines. */
export function FrameView({
  frames,
  spill = null,
}: {
  frames: DataFrame[];
  /** Where the rest of a table went when the output budget cut it (see tableSpill.ts). */
  spill?: TableSpill | null;
}) {
  const first = frames[0]!;
  switch (first.kind) {
    case 'table':
      return <TableView frames={frames} spill={spill} />;
    case 'timeseries':
      return <SeriesView frames={frames} />;
    case 'logs':
      return <LogsView frames={frames} />;
  }
}

function TableView({ frames, spill }: { frames: DataFrame[]; spill: TableSpill | null }) {
  // Joining a new page and drawing the grid with it run as a background render: the frame
  // that brings a page (cellRunStore's flush) stays short, and pages that arrive while the
  // grid renders are drawn together (React starts over with the latest instead of each).
  const shown = useDeferredValue(frames);
  const data = useMemo(() => tableData(shown), [shown]);
  const { rowCount, complete } = data;
  const total = spill?.total ?? data.total;
  const n = (v: number) => v.toLocaleString('en-US');
  let note: string | null = null;
  if (spill) {
    // The runtime offers the blob (GET /v1/blobs/:id with the session's access token), but no
    // path from a cell's outputs to the session's token exists in the web yet: no "load more".
    note =
      `showing ${n(rowCount)} of ${total === null ? `more than ${n(rowCount)}` : n(total)} rows: ` +
      `the rest went past the cell's output limit and follows as JSON lines` +
      (spill.blob ? ` (kept on the runtime as ${spill.blob.id})` : '');
  } else if (!complete) note = `${n(rowCount)} rows so far (still arriving)`;
  else if (total !== null && total > rowCount) note = `showing ${n(rowCount)} of ${n(total)} rows`;
  return (
    <div className="output output-frame output-table" data-testid="frame-table">
      {note && (
        <p className="datagrid-note" data-testid="frame-row-note">
          {note}
        </p>
      )}
      <DataGrid data={data} label={`Result table, ${data.fields.length} columns`} />
    </div>
  );
}

function SeriesView({ frames }: { frames: DataFrame[] }) {
  const series = useMemo(
    () => frames.flatMap((f) => (f.kind === 'timeseries' ? f.frame.series : [])),
    [frames],
  );
  const [view, setView] = useState<'chart' | 'table'>('chart');
  return (
    <div className="output output-frame output-timeseries" data-testid="frame-timeseries">
      <div className="frame-tabs" role="group" aria-label="Show as">
        <button
          type="button"
          className={`btn btn-link${view === 'chart' ? ' active' : ''}`}
          aria-pressed={view === 'chart'}
          onClick={() => setView('chart')}
        >
          Chart
        </button>
        <button
          type="button"
          className={`btn btn-link${view === 'table' ? ' active' : ''}`}
          aria-pressed={view === 'table'}
          data-testid="timeseries-as-table"
          onClick={() => setView('table')}
        >
          Table
        </button>
        <span className="muted">{series.length} series</span>
      </div>
      {view === 'chart' ? <TimeSeriesChart series={series} /> : <SeriesSummary series={series} />}
    </div>
  );
}

function SeriesSummary({ series }: { series: readonly Series[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th>series</th>
          <th>points</th>
          <th>min</th>
          <th>max</th>
          <th>last</th>
        </tr>
      </thead>
      <tbody>
        {series.map((s, i) => {
          const vals = s.values.filter((v): v is number => v !== null);
          return (
            <tr key={i}>
              <td>{seriesLabel(s)}</td>
              <td>{s.values.length}</td>
              <td>{vals.length ? vals.reduce((a, b) => Math.min(a, b)) : ''}</td>
              <td>{vals.length ? vals.reduce((a, b) => Math.max(a, b)) : ''}</td>
              <td>{s.values[s.values.length - 1] ?? ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function LogsView({ frames }: { frames: DataFrame[] }) {
  const entries = frames.flatMap((f) => (f.kind === 'logs' ? f.frame.entries : []));
  return (
    <pre className="output output-frame output-logs" data-testid="frame-logs">
      {entries.map((e, i) => (
        <div key={i} className={`log-line log-${e.level ?? 'none'}`}>
          <span className="log-time">{new Date(e.time).toISOString()}</span>{' '}
          {e.level && <span className="log-level">{e.level}</span>} {e.line}
        </div>
      ))}
    </pre>
  );
}
