import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  SpinError,
  cellResultTemplateValue,
  valueAtPath,
  type TemplateValue,
} from '@spin/protocol';
import type { Logger } from 'pino';
import type { KernelClient } from '../kernels/kernelClient.js';
import { bindResultsCode } from './pythonResults.js';
import type { StoredResult } from './resultCollector.js';

interface Entry {
  result: StoredResult;
  version: number;
}

/**
 * A session's variables set by integration cells (DESIGN.md §3): each is a stored
 * `CellResult` under `<work>/.spin/results/<jti>/`. Templates read them here; Python kernels of
 * the session get them bound before they run code, so a kernel started later (or restarted
 * after it died) sees every variable, and sessions that never run Python start no kernel.
 */
export class SessionResults {
  private readonly vars = new Map<string, Entry>();
  /** Values of the notebook's `code_python` template variables, computed in this session. */
  private readonly values = new Map<string, TemplateValue>();
  private readonly synced = new WeakMap<KernelClient, Map<string, number>>();
  private version = 0;

  /**
   * @param workDir the session's work dir on the host (results are written under it)
   * @param kernelWorkDir the same directory as the session's kernels see it (bubblewrap mounts
   *   it at `/spin/work`); the paths bound into Python are written in those terms
   */
  constructor(
    private readonly workDir: string,
    private readonly logger: Logger,
    private readonly kernelWorkDir: string = workDir,
  ) {}

  /** Directory for the result of program `jti`. */
  dirFor(jti: string): string {
    return join(this.workDir, '.spin', 'results', jti.replace(/[^A-Za-z0-9_-]/g, '_'));
  }

  /** The stored result of `name`, if set. */
  get(name: string): StoredResult | undefined {
    return this.vars.get(name)?.result;
  }

  /** Set `name` to a finished result; the result it replaces is deleted from disk. */
  set(name: string, result: StoredResult): void {
    this.values.delete(name);
    const old = this.vars.get(name);
    this.vars.set(name, { result, version: ++this.version });
    if (old && old.result.dir !== result.dir) {
      void rm(old.result.dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Set `name` to a template variable's JSON value (the latest of a result and a value wins). */
  setValue(name: string, value: TemplateValue): void {
    const old = this.vars.get(name);
    this.vars.delete(name);
    if (old) void rm(old.result.dir, { recursive: true, force: true }).catch(() => undefined);
    this.values.set(name, value);
  }

  /** The `code_python` template values computed in this session, by name. */
  templateValues(): Record<string, TemplateValue> {
    return Object.fromEntries(this.values);
  }

  /**
   * What `{{name.path}}` reads, or undefined when no variable `name` is set. Rows are read
   * from the in-memory preview, so a result with more rows than that cannot be templated.
   */
  resolve(name: string, path: readonly string[], ref: string): TemplateValue | undefined {
    if (this.values.has(name)) return valueAtPath(this.values.get(name)!, path, ref);
    const entry = this.vars.get(name);
    if (!entry) return undefined;
    const { meta, preview, raw, rawTooLarge } = entry.result;
    const [part, ...rest] = path;
    const complete = preview.length === meta.rowCount && !meta.truncated;
    if ((part === undefined || part === 'value' || part === 'rows') && !complete) {
      throw new SpinError(
        'template.result_too_large',
        `${ref}: the result has ${meta.rowCount} rows, more than templates read; use it from Python, or narrow the query`,
      );
    }
    if (part === 'raw' && rawTooLarge) {
      throw new SpinError(
        'template.result_too_large',
        `${ref}: the raw answer is too large for a template`,
      );
    }
    const view = cellResultTemplateValue({
      columns: meta.columns,
      rows: preview.map((row) => meta.columns.map((c) => row[c.name] ?? null)),
      raw,
      rowCount: meta.rowCount,
    });
    if (part === undefined) return view.value;
    if (!Object.hasOwn(view.parts, part)) {
      throw new SpinError(
        'template.unknown_variable',
        `${ref}: a cell result has value, rows, columns, raw and rowCount`,
      );
    }
    return valueAtPath(view.parts[part]!, rest, ref);
  }

  /**
   * Bind every variable this Python kernel has not seen (in its current version) with one
   * silent execute_request. Other kernel languages are left alone.
   */
  async syncTo(kernel: KernelClient): Promise<void> {
    if (kernel.spec?.language.toLowerCase() !== 'python') return;
    const seen = this.synced.get(kernel) ?? new Map<string, number>();
    this.synced.set(kernel, seen);
    const pending = [...this.vars].filter(([name, e]) => seen.get(name) !== e.version);
    if (pending.length === 0) return;
    const code = bindResultsCode(
      pending.map(([name, e]) => ({
        name,
        dir: join(this.kernelWorkDir, relative(this.workDir, e.result.dir)),
      })),
    );
    let failure = '';
    const reply = await kernel.execute(
      code,
      (out) => {
        if (out.msgType === 'error')
          failure = `${String(out.content.ename)}: ${String(out.content.evalue)}`;
      },
      { silent: true, storeHistory: false },
    );
    if (reply.status !== 'ok') {
      this.logger.warn({ kernel: kernel.id, failure }, 'binding session variables failed');
      return;
    }
    for (const [name, e] of pending) seen.set(name, e.version);
  }
}
