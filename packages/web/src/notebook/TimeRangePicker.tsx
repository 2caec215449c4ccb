import { useState } from 'react';
import { TimeRangeSchema, type TimeRange } from '@spin/protocol';

const PRESETS: [string, TimeRange][] = [
  ['Last 15 minutes', { from: 'now-15m', to: 'now' }],
  ['Last hour', { from: 'now-1h', to: 'now' }],
  ['Last 6 hours', { from: 'now-6h', to: 'now' }],
  ['Last 24 hours', { from: 'now-24h', to: 'now' }],
  ['Last 7 days', { from: 'now-7d', to: 'now' }],
];

/**
 * The notebook's time range (Grafana-style: `now-1h` … `now`, or ISO timestamps). Integration
 * cells query it unless they set their own; an invalid edit stays here until it is fixed.
 */
export function TimeRangePicker({
  value,
  onChange,
}: {
  value: TimeRange;
  onChange: (r: TimeRange) => void;
}) {
  const [draft, setDraft] = useState(value);
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    // A reload replaced the notebook's range: show it.
    setShown(value);
    setDraft(value);
  }
  const parsed = TimeRangeSchema.safeParse(draft);
  const set = (r: TimeRange) => {
    setDraft(r);
    if (TimeRangeSchema.safeParse(r).success) onChange(r);
  };
  const preset = PRESETS.find(([, r]) => r.from === draft.from && r.to === draft.to)?.[0] ?? '';
  return (
    <span className="time-range-picker" data-testid="notebook-time-range">
      <select
        aria-label="Time range preset"
        data-testid="notebook-time-preset"
        value={preset}
        onChange={(e) => {
          const p = PRESETS.find(([label]) => label === e.target.value);
          if (p) set(p[1]);
        }}
      >
        <option value="">Custom</option>
        {PRESETS.map(([label]) => (
          <option key={label} value={label}>
            {label}
          </option>
        ))}
      </select>
      <input
        aria-label="From"
        data-testid="notebook-time-from"
        value={draft.from}
        onChange={(e) => set({ ...draft, from: e.target.value })}
      />
      <span aria-hidden="true">…</span>
      <input
        aria-label="To"
        data-testid="notebook-time-to"
        value={draft.to}
        onChange={(e) => set({ ...draft, to: e.target.value })}
      />
      {!parsed.success && (
        <span className="form-error" role="alert">
          {parsed.error.issues[0]?.message}
        </span>
      )}
    </span>
  );
}
