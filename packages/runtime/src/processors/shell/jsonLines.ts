import type { Field, FieldType } from '@spin/protocol';
import { TablePager, type ProcessorFrame } from '../sdk.js';

function fieldType(v: unknown): FieldType {
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string' || v === null || v === undefined) return 'string';
  return 'json';
}

/**
 * Turns a command's stdout of JSON lines (`jq -c`, `kubectl … -o json | jq -c '.items[]'`)
 * into table pages. The first object's keys are the columns; a later object's unknown keys are
 * dropped and missing ones are null. Lines that are not JSON objects pass through as text.
 */
export class JsonLinesTable {
  private partial = '';
  private pager: TablePager | null = null;
  private names: string[] = [];
  private rows = 0;

  constructor(
    private readonly frameId: string,
    private readonly pageRows: number,
  ) {}

  /** Feed stdout text; returns frames ready to emit. */
  write(text: string): ProcessorFrame[] {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    return lines.flatMap((l) => this.line(l));
  }

  /** Flush the last line and the final page. */
  end(): ProcessorFrame[] {
    const out = this.partial ? this.line(this.partial) : [];
    this.partial = '';
    if (this.pager) out.push(this.pager.end(this.rows));
    return out;
  }

  private line(line: string): ProcessorFrame[] {
    if (!line.trim()) return [];
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      obj = undefined;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      return [{ type: 'stream', name: 'stdout', text: line + '\n' }];
    }
    const record = obj as Record<string, unknown>;
    if (!this.pager) {
      this.names = Object.keys(record);
      const fields: Field[] = this.names.map((name) => ({ name, type: fieldType(record[name]) }));
      this.pager = new TablePager(fields, this.frameId, this.pageRows);
    }
    this.rows++;
    const page = this.pager.push(this.names.map((n) => record[n] ?? null));
    return page ? [page] : [];
  }
}
