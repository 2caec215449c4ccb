import {
  chmodSync,
  createWriteStream,
  fchmodSync,
  openSync,
  mkdirSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import type {
  CellResultKind,
  Field,
  LogsFrame,
  ResolvedTimeRange,
  TableFrame,
  TimeSeriesFrame,
} from '@spin/protocol';
import type { ProcessorFrame } from './types.js';

/** Rows kept in memory for `{{var}}` templates; the file holds them all. */
export const PREVIEW_ROWS = 1000;
/** Bytes of `raw` kept in memory for templates. */
const PREVIEW_RAW_BYTES = 1024 * 1024;
/** Standard output kept for a text result (it is held in memory until the cell ends). */
const TEXT_LIMIT_BYTES = 8 * 1024 * 1024;

/** The files of one stored result, as the Python `CellResult` reads them. */
export const RESULT_FILES = { meta: 'meta.json', rows: 'rows.jsonl', raw: 'raw.json' } as const;

/** `meta.json` of a stored result. */
export interface ResultMeta {
  kind: CellResultKind;
  columns: Field[];
  rowCount: number;
  truncated: boolean;
  cell: string;
  processor: string;
  timeRange?: ResolvedTimeRange;
}

/** A finished result: where its files are, its meta and what templates may read. */
export interface StoredResult {
  dir: string;
  meta: ResultMeta;
  /** First rows as objects (all of them unless `rowCount > preview.length`). */
  preview: Record<string, unknown>[];
  /** `raw`, unless it was too large to keep in memory. */
  raw: unknown;
  rawTooLarge: boolean;
}

const RESERVED = new Set(['series', 'time', 'value']);

/**
 * Builds a cell's `CellResult` from the frames a processor emits, streaming its rows to
 * `rows.jsonl` in the result directory (one JSON object per row) so a large result is never
 * held in memory; past `limitBytes` rows are counted but no longer written. The first kind of
 * data frame decides the result's kind; without data frames, stdout lines are the rows.
 */
export class ResultCollector {
  private kind: CellResultKind | null = null;
  private frameId: string | null = null;
  private readonly columns = new Map<string, Field>();
  private readonly preview: Record<string, unknown>[] = [];
  private rowCount = 0;
  private bytes = 0;
  private truncated = false;
  private raw: unknown = undefined;
  private stdout = '';
  private stdoutCut = false;
  private out: WriteStream | null = null;

  constructor(
    readonly dir: string,
    private readonly limitBytes: number,
    private readonly info: { cell: string; processor: string; timeRange?: ResolvedTimeRange },
  ) {}

  /** Take one frame; resolves when its rows are handed to the file (backpressure). */
  async add(frame: ProcessorFrame): Promise<void> {
    switch (frame.type) {
      case 'table':
        if (this.claim('table', frame.frame.page.frameId)) await this.table(frame.frame);
        return;
      case 'timeseries':
        if (this.claim('timeseries', frame.frame.page.frameId)) await this.series(frame.frame);
        return;
      case 'logs':
        if (this.claim('logs', frame.frame.page.frameId)) await this.logs(frame.frame);
        return;
      case 'raw':
        this.raw = frame.value;
        return;
      case 'stream':
        if (frame.name === 'stdout' && this.kind === null) this.text(frame.text);
        return;
      default:
        return;
    }
  }

  private claim(kind: CellResultKind, frameId: string): boolean {
    if (this.kind === null) {
      this.kind = kind;
      this.frameId = frameId;
      return true;
    }
    return this.kind === kind && this.frameId === frameId;
  }

  private column(name: string, type: Field['type']): void {
    if (!this.columns.has(name)) this.columns.set(name, { name, type });
  }

  private async row(row: Record<string, unknown>): Promise<void> {
    this.rowCount++;
    if (this.preview.length < PREVIEW_ROWS) this.preview.push(row);
    if (this.truncated) return;
    const line = JSON.stringify(row) + '\n';
    if (this.bytes + line.length > this.limitBytes) {
      this.truncated = true;
      return;
    }
    this.bytes += line.length;
    const out = this.stream();
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', r));
  }

  private stream(): WriteStream {
    if (!this.out) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // `<work>/.spin/results/<jti>`: the runtime writes it, the session's sandboxed user (its
      // own uid) reads it from Python. The work dir itself is that user's, mode 0700, so
      // opening these three levels to reading lets in that user only (explicit chmod: the
      // runtime's umask is 077).
      for (let d = this.dir, i = 0; i < 3; i++, d = dirname(d)) chmodSync(d, 0o755);
      const fd = openSync(join(this.dir, RESULT_FILES.rows), 'w', 0o644);
      fchmodSync(fd, 0o644);
      this.out = createWriteStream('', { fd });
    }
    return this.out;
  }

  private async table(f: TableFrame): Promise<void> {
    for (const field of f.schema.fields) this.column(field.name, field.type);
    const n = f.columns[0]?.length ?? 0;
    for (let r = 0; r < n; r++) {
      const row: Record<string, unknown> = {};
      f.schema.fields.forEach((field, i) => (row[field.name] = f.columns[i]![r] ?? null));
      await this.row(row);
    }
  }

  private async series(f: TimeSeriesFrame): Promise<void> {
    this.column('series', 'string');
    for (const s of f.series) {
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.labels)) {
        const key = RESERVED.has(k) ? `label_${k}` : k;
        this.column(key, 'string');
        labels[key] = v;
      }
      this.column('time', 'time');
      this.column('value', 'number');
      for (let i = 0; i < s.timestamps.length; i++) {
        await this.row({ series: s.name, ...labels, time: s.timestamps[i], value: s.values[i] });
      }
    }
  }

  private async logs(f: LogsFrame): Promise<void> {
    this.column('time', 'time');
    this.column('level', 'string');
    this.column('line', 'string');
    this.column('labels', 'json');
    for (const e of f.entries) {
      await this.row({
        time: e.time,
        level: e.level ?? null,
        line: e.line,
        labels: e.labels ?? {},
      });
    }
  }

  private text(text: string): void {
    const room = Math.min(this.limitBytes, TEXT_LIMIT_BYTES) - this.stdout.length;
    if (text.length > room) this.stdoutCut = true;
    this.stdout += text.slice(0, Math.max(0, room));
  }

  /** Write `meta.json` and `raw.json`; the result is complete once this resolves. */
  async finish(): Promise<StoredResult> {
    const kind = this.kind ?? 'text';
    if (kind === 'text') {
      // Without data frames the result is the command's output, one row per line.
      this.column('line', 'string');
      const lines = this.stdout.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      for (const line of lines) await this.row({ line });
      if (this.stdoutCut) this.truncated = true;
    }
    const out = this.stream();
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(resolve);
    });
    const raw = this.raw !== undefined ? this.raw : kind === 'text' ? this.stdout : null;
    const rawJson = JSON.stringify(raw) ?? 'null';
    writeFileSync(join(this.dir, RESULT_FILES.raw), rawJson, { mode: 0o644 });
    chmodSync(join(this.dir, RESULT_FILES.raw), 0o644);
    const meta: ResultMeta = {
      kind,
      columns: [...this.columns.values()],
      rowCount: this.rowCount,
      truncated: this.truncated,
      ...this.info,
    };
    writeFileSync(join(this.dir, RESULT_FILES.meta), JSON.stringify(meta), { mode: 0o644 });
    chmodSync(join(this.dir, RESULT_FILES.meta), 0o644);
    const rawTooLarge = rawJson.length > PREVIEW_RAW_BYTES;
    return {
      dir: this.dir,
      meta,
      preview: this.preview,
      raw: rawTooLarge ? null : raw,
      rawTooLarge,
    };
  }

  /** Drop a result that will not be stored (the cell failed). */
  discard(): void {
    this.out?.destroy();
  }
}
