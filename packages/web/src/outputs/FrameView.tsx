import { useMemo, useState } from 'react';
import type { DataFrame, Series } from '@spin/protocol';
import { seriesLabel } from './seriesAlign';
import { tableData } from './frames';
import { DataGrid } from './DataGrid';
import { TimeSeriesChart } from './TimeSeriesChart';

/** One result of a processor (all its pages): a table, a series summary or log lines. */
export function FrameView({ frames }: { frames: DataFrame[] }) {
  const first = frames[0]!;
  switch (first.kind) {
    case 'table':
      return <TableView frames={frames} />;
    case 'timeseries':
      return <SeriesView frames={frames} />;
    case 'logs':
      return <LogsView frames={frames} />;
  }
}

function TableView({ frames }: { frames: DataFrame[] }) {
  const data = useMemo(() => tableData(frames), [frames]);
  const { rowCount, total, complete } = data;
  const cut = total !== null && total > rowCount;
  return (
    <div className="output output-frame output-table" data-testid="frame-table">
      <DataGrid data={data} label={`Result table, ${data.fields.length} columns`} />
      {(!complete || cut) && (
        <p className="datagrid-note" data-testid="frame-row-note">
          {!complete
            ? `${rowCount.toLocaleString('en-US')} rows so far (still arriving)`
            : `showing ${rowCount.toLocaleString('en-US')} of ${total!.toLocaleString('en-US')} rows`}
        </p>
      )}
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
