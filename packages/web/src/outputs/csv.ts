import type { Field } from '@spin/protocol';
import type { TableData } from './frames';

/**
 * CSV export of a table result, as RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180) says:
 * a header record of the field names, records separated by CRLF, a field quoted when it holds a
 * comma, a double quote, CR or LF, and a double quote inside a quoted field doubled. Nulls are
 * empty fields; times are ISO 8601 (UTC) so spreadsheets and scripts parse them.
 */

/** One field, quoted when it has to be. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A value as CSV text (before quoting). */
export function csvValue(v: unknown, field: Field | undefined): string {
  if (v === null || v === undefined) return '';
  if (field?.type === 'time' && typeof v === 'number') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Rows per chunk: the export yields to the page between chunks so a big one never stalls it. */
export const CSV_CHUNK_ROWS = 5000;

/** The CSV text in chunks (the header first), every record ending in CRLF. */
export function* csvChunks(data: TableData, rows?: ArrayLike<number>): Generator<string> {
  yield data.fields.map((f) => csvField(f.name)).join(',') + '\r\n';
  const n = rows ? rows.length : data.rowCount;
  for (let start = 0; start < n; start += CSV_CHUNK_ROWS) {
    const end = Math.min(n, start + CSV_CHUNK_ROWS);
    let out = '';
    for (let i = start; i < end; i++) {
      const r = rows ? rows[i]! : i;
      for (let c = 0; c < data.fields.length; c++) {
        if (c > 0) out += ',';
        out += csvField(csvValue(data.columns[c]?.[r], data.fields[c]));
      }
      out += '\r\n';
    }
    yield out;
  }
}

/** The whole CSV as one string (tests, small tables). */
export function toCsv(data: TableData, rows?: ArrayLike<number>): string {
  return [...csvChunks(data, rows)].join('');
}

const yieldToPage = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The CSV as a Blob, built a chunk at a time with a yield to the page between chunks. */
export async function csvBlob(data: TableData, rows?: ArrayLike<number>): Promise<Blob> {
  const parts: string[] = [];
  for (const chunk of csvChunks(data, rows)) {
    parts.push(chunk);
    await yieldToPage();
  }
  return new Blob(parts, { type: 'text/csv;charset=utf-8' });
}

/** Offer `blob` as a download named `name` (an `<a download>` click, as browsers expect). */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
