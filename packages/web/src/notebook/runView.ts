import { cellRunView, type CellRunView } from '@spin/client';

export { cellRunView, type CellRunView };

/** Human duration: `0.42s`, `12.3s`, `2m 05s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/** The status badge text: `running…`, `ok`, `failed`, `failed (exit 3)`, `timeout` (+ duration). */
export function statusLabel(view: CellRunView, now: number = Date.now()): string {
  let label: string;
  switch (view.status) {
    case 'idle':
      return '';
    case 'running':
      label = 'running…';
      break;
    case 'ok':
      label = 'ok';
      break;
    case 'error':
      label =
        view.exitCode !== null && view.exitCode !== 0 ? `failed (exit ${view.exitCode})` : 'failed';
      break;
    default:
      label = view.status; // timeout, interrupted, aborted
  }
  const start = view.startedAt ? Date.parse(view.startedAt) : NaN;
  const end = view.status === 'running' ? now : view.endedAt ? Date.parse(view.endedAt) : NaN;
  const duration = formatDuration(end - start);
  return duration ? `${label} · ${duration}` : label;
}
