import { z } from 'zod';

/**
 * SPIN's typed data frames (DESIGN.md §3): what processors emit for query results, carried as
 * MIME types inside Jupyter `display_data` outputs so notebooks stay nbformat-compatible. A
 * large result streams as several frames of one `page.frameId`, in `page.index` order; the
 * last has `page.last: true`. Times are milliseconds since the Unix epoch (UTC).
 */
export const TABLE_MIME = 'application/vnd.spin.table+json';
export const TIMESERIES_MIME = 'application/vnd.spin.timeseries+json';
export const LOGS_MIME = 'application/vnd.spin.logs+json';
/** Every SPIN frame MIME type. */
export const FRAME_MIMES = [TABLE_MIME, TIMESERIES_MIME, LOGS_MIME] as const;
export type FrameMime = (typeof FRAME_MIMES)[number];

/** Value types of a table column. `time` values are epoch milliseconds. */
export const FieldTypeSchema = z.enum(['string', 'number', 'integer', 'boolean', 'time', 'json']);
export type FieldType = z.infer<typeof FieldTypeSchema>;

/** One column of a table: name, type and optional unit (`bytes`, `s`, `%`…). */
export const FieldSchema = z.object({
  name: z.string().min(1).max(256),
  type: FieldTypeSchema,
  unit: z.string().max(32).optional(),
});
export type Field = z.infer<typeof FieldSchema>;

/** Where a frame sits in a streamed result. */
export const PageSchema = z.object({
  /** Same for every page of one result. */
  frameId: z.string().min(1).max(128),
  /** 0, 1, 2… */
  index: z.number().int().nonnegative(),
  /** Row (or point/entry) index of this page's first item within the whole result. */
  offset: z.number().int().nonnegative(),
  /** True on the final page. */
  last: z.boolean(),
  /** Total items of the whole result when the source knows it. */
  total: z.number().int().nonnegative().optional(),
});
export type Page = z.infer<typeof PageSchema>;

/** `application/vnd.spin.table+json`: columnar rows with a typed schema. */
export const TableFrameSchema = z
  .object({
    schema: z.object({ fields: z.array(FieldSchema).max(10_000) }),
    /**
     * `columns[i][r]` is row r of field i; every column has the same length. A column is
     * checked to be an array, not walked: `z.array(z.unknown())` copies every value, which for
     * a 5,000-row page was 10–20 ms of the browser's main thread per page (and as much garbage).
     */
    columns: z.array(
      z.custom<unknown[]>((c) => Array.isArray(c), { message: 'a column is an array' }),
    ),
    page: PageSchema,
  })
  .superRefine((f, ctx) => {
    if (f.columns.length !== f.schema.fields.length) {
      ctx.addIssue({ code: 'custom', message: 'one column per field' });
      return;
    }
    const n = f.columns[0]?.length ?? 0;
    if (f.columns.some((c) => c.length !== n)) {
      ctx.addIssue({ code: 'custom', message: 'columns differ in length' });
    }
  });
export type TableFrame = z.infer<typeof TableFrameSchema>;

/** One series of a time-series frame: labels plus parallel timestamp/value arrays. */
export const SeriesSchema = z
  .object({
    name: z.string().max(1024),
    labels: z.record(z.string(), z.string()),
    timestamps: z.array(z.number()),
    values: z.array(z.number().nullable()),
  })
  .refine((s) => s.timestamps.length === s.values.length, {
    message: 'timestamps and values differ in length',
  });
export type Series = z.infer<typeof SeriesSchema>;

/** `application/vnd.spin.timeseries+json`: series over the queried range. */
export const TimeSeriesFrameSchema = z.object({
  series: z.array(SeriesSchema),
  unit: z.string().max(32).optional(),
  range: z.object({ from: z.number(), to: z.number(), stepMs: z.number().positive().optional() }),
  page: PageSchema,
});
export type TimeSeriesFrame = z.infer<typeof TimeSeriesFrameSchema>;

/** One log entry. */
export const LogEntrySchema = z.object({
  time: z.number(),
  line: z.string(),
  level: z.string().max(32).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

/** `application/vnd.spin.logs+json`: log entries in the order the source returned them. */
export const LogsFrameSchema = z.object({
  entries: z.array(LogEntrySchema),
  page: PageSchema,
});
export type LogsFrame = z.infer<typeof LogsFrameSchema>;

/** A frame with its kind, as processors hand it to the runtime. */
export type DataFrame =
  | { kind: 'table'; frame: TableFrame }
  | { kind: 'timeseries'; frame: TimeSeriesFrame }
  | { kind: 'logs'; frame: LogsFrame };

/** MIME type of each frame kind. */
export const FRAME_MIME: Record<DataFrame['kind'], FrameMime> = {
  table: TABLE_MIME,
  timeseries: TIMESERIES_MIME,
  logs: LOGS_MIME,
};

/** Schema of each frame MIME type (renderers validate before drawing). */
export const FRAME_SCHEMAS = {
  [TABLE_MIME]: TableFrameSchema,
  [TIMESERIES_MIME]: TimeSeriesFrameSchema,
  [LOGS_MIME]: LogsFrameSchema,
} as const;

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * A short `text/plain` rendering of a frame, for viewers that do not know SPIN's MIME types
 * (nbformat exports, terminals): the first rows, tab-separated, and a count.
 */
export function framePlainText(df: DataFrame, maxRows = 20): string {
  const p = df.frame.page;
  const where = p.index > 0 || !p.last ? ` (page ${p.index + 1}${p.last ? ', last' : ''})` : '';
  if (df.kind === 'table') {
    const { fields } = df.frame.schema;
    const n = df.frame.columns[0]?.length ?? 0;
    const lines = [fields.map((f) => f.name).join('\t')];
    for (let r = 0; r < Math.min(n, maxRows); r++) {
      lines.push(df.frame.columns.map((c) => cellText(c[r])).join('\t'));
    }
    if (n > maxRows) lines.push(`… ${n - maxRows} more rows`);
    return `${lines.join('\n')}\n[${n} rows × ${fields.length} columns${where}]`;
  }
  if (df.kind === 'timeseries') {
    const lines = df.frame.series.slice(0, maxRows).map((s) => {
      const last = s.values[s.values.length - 1];
      return `${s.name || JSON.stringify(s.labels)}\t${s.values.length} points\tlast ${last ?? 'null'}`;
    });
    return `${lines.join('\n')}\n[${df.frame.series.length} series${where}]`;
  }
  const lines = df.frame.entries
    .slice(0, maxRows)
    .map((e) => `${new Date(e.time).toISOString()} ${e.level ? e.level + ' ' : ''}${e.line}`);
  return `${lines.join('\n')}\n[${df.frame.entries.length} entries${where}]`;
}
