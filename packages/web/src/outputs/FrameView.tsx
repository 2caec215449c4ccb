import { useMemo, useState } from 'react';
import type { DataFrame, Field, Series } from '@spin/protocol';
import { seriesLabel } from './seriesAlign';
import { tableRows } from './frames';
import { TimeSeriesChart } from './TimeSeriesChart';

const ROWS_PER_VIEW = 50;

function cellText(v: unknown, field?: Field): string {
  if (v === null || v === undefined) return '';
  if (field?.type === 'time' && typeof v === 'number') return new Date(v).toISOString();
  return typeof v === 'string' ? v : JSON.stringify(v);
}

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

function Pager({
  page,
  pages,
  total,
  onPage,
  complete,
}: {
  page: number;
  pages: number;
  total: number;
  onPage: (p: number) => void;
  complete: boolean;
}) {
  const from = total === 0 ? 0 : page * ROWS_PER_VIEW + 1;
  const to = Math.min(total, (page + 1) * ROWS_PER_VIEW);
  return (
    <div className="frame-pager" data-testid="frame-pager">
      <span data-testid="frame-row-range">
        rows {from}–{to} of {total}
        {complete ? '' : '+ (still arriving)'}
      </span>
      <button
        type="button"
        className="btn btn-icon"
        aria-label="Previous rows"
        disabled={page === 0}
        onClick={() => onPage(page - 1)}
      >
        ‹
      </button>
      <button
        type="button"
        className="btn btn-icon"
        aria-label="Next rows"
        data-testid="frame-next"
        disabled={page >= pages - 1}
        onClick={() => onPage(page + 1)}
      >
        ›
      </button>
      <button
        type="button"
        className="btn btn-icon"
        aria-label="Last rows"
        data-testid="frame-last"
        disabled={page >= pages - 1}
        onClick={() => onPage(pages - 1)}
      >
        »
      </button>
    </div>
  );
}

function TableView({ frames }: { frames: DataFrame[] }) {
  const fields = frames[0]!.kind === 'table' ? frames[0]!.frame.schema.fields : [];
  const rows = useMemo(() => tableRows(frames), [frames]);
  const complete = frames.some((f) => f.frame.page.last);
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(rows.length / ROWS_PER_VIEW));
  const shown = rows.slice(page * ROWS_PER_VIEW, (page + 1) * ROWS_PER_VIEW);
  return (
    <div className="output output-frame output-table" data-testid="frame-table">
      <div className="frame-scroll">
        <table>
          <thead>
            <tr>
              {fields.map((f) => (
                <th key={f.name} title={`${f.type}${f.unit ? ` (${f.unit})` : ''}`}>
                  {f.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row, r) => (
              <tr key={r}>
                {row.map((v, i) => (
                  <td key={i} className={`type-${fields[i]?.type ?? 'string'}`}>
                    {cellText(v, fields[i])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager
        page={Math.min(page, pages - 1)}
        pages={pages}
        total={rows.length}
        onPage={setPage}
        complete={complete}
      />
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
