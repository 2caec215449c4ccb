import { z } from 'zod';
import { SpinError } from './errors.js';

/**
 * Time ranges (DESIGN.md §3): a notebook has one; an integration cell may override it. Each end
 * is either relative to the time of the run — `now`, `now-15m`, `now-7d` (units s m h d w) — or
 * an absolute ISO-8601 timestamp, as in Grafana's time picker. The server resolves them to
 * absolute instants when it compiles a cell, so the audited program says exactly what was asked.
 */
const RELATIVE = /^now(?:-(\d{1,6})([smhdw]))?$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 604_800_000 } as const;

/** One end of a time range as a user writes it. */
export const TimeExpressionSchema = z
  .string()
  .trim()
  .max(64)
  .refine((s) => RELATIVE.test(s) || !Number.isNaN(Date.parse(s)), {
    message: 'use "now", "now-<n><s|m|h|d|w>" (e.g. now-1h) or an ISO-8601 timestamp',
  });

/** A time range as stored on a notebook or cell. */
export const TimeRangeSchema = z.object({
  from: TimeExpressionSchema,
  to: TimeExpressionSchema,
});
export type TimeRange = z.infer<typeof TimeRangeSchema>;

/** A time range resolved to absolute ISO-8601 instants (what programs and processors get). */
export const ResolvedTimeRangeSchema = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
});
export type ResolvedTimeRange = z.infer<typeof ResolvedTimeRangeSchema>;

/** The range a notebook starts with: the last hour. */
export const DEFAULT_TIME_RANGE: TimeRange = { from: 'now-1h', to: 'now' };

/** Milliseconds since the epoch for one end, relative to `now`. */
export function resolveTimeExpression(expr: string, now: number): number {
  const m = RELATIVE.exec(expr.trim());
  if (m) {
    const [, n, unit] = m;
    return n && unit ? now - Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS] : now;
  }
  const t = Date.parse(expr);
  if (Number.isNaN(t)) throw new SpinError('request.invalid', `"${expr}" is not a time`);
  return t;
}

/** Resolve both ends; `from` must not be after `to`. */
export function resolveTimeRange(range: TimeRange, now: number = Date.now()): ResolvedTimeRange {
  const from = resolveTimeExpression(range.from, now);
  const to = resolveTimeExpression(range.to, now);
  if (from > to) {
    throw new SpinError(
      'request.invalid',
      `time range starts after it ends (${range.from} … ${range.to})`,
    );
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}
