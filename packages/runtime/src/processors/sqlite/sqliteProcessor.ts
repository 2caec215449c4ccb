import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { SpinError, SqlProgramSchema, type Field, type FieldType } from '@spin/protocol';
import { SqliteConfigSchema, type SqliteConfig } from '@spin/protocol/processors/sqlite';
import {
  FrameQueue,
  TablePager,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
} from '../sdk.js';
import { sqliteChildMain } from './sqliteChild.js';

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');
/** `node -e` source of the query process (`__name`: a bundler's helper, harmless here). */
const CHILD_SOURCE = `const __name = (f) => f;\n(${sqliteChildMain.toString()})();\n`;

type ChildMessage =
  | { type: 'fields'; fields: { name: string; decl: string | null }[] }
  | { type: 'rows'; rows: unknown[][] }
  | { type: 'done'; changes?: number }
  | { type: 'error'; code: string | null; message: string };

/** SQLite's type affinity rules (https://sqlite.org/datatype3.html §3.1) for declared types. */
function declaredType(decl: string | null): FieldType | null {
  if (!decl) return null;
  const d = decl.toUpperCase();
  if (d.includes('INT')) return 'integer';
  if (d.includes('BOOL')) return 'integer';
  if (/CHAR|CLOB|TEXT/.test(d)) return 'string';
  if (/REAL|FLOA|DOUB|NUMERIC|DECIMAL/.test(d)) return 'number';
  if (d === 'JSON') return 'json';
  return 'string';
}

/** The type of an expression column (no declared type), from its first non-null value. */
function valueType(v: unknown): FieldType {
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return 'string';
}

/** A SQLite failure as the processor error a user reads, with SQLite's own text. */
export function sqliteError(code: string | null, message: string, config: SqliteConfig): SpinError {
  const text = `${message}${code ? ` (${code})` : ''}`;
  if (code === 'SQLITE_CANTOPEN' || /^no such table/.test(message))
    return new SpinError(
      'processor.resource_not_found',
      `not found: ${text}${code === 'SQLITE_CANTOPEN' ? ` — ${config.path}` : ''}`,
    );
  if (code?.startsWith('SQLITE_READONLY'))
    return new SpinError(
      'processor.read_only',
      `this connection is read-only, SQLite refused the write: ${text}`,
    );
  if (code === 'SQLITE_AUTH' || code === 'SQLITE_PERM')
    return new SpinError('processor.forbidden', `permission denied: ${text}`);
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED'))
    return new SpinError('processor.unavailable', `the database is busy: ${text}`);
  if (code === 'SQLITE_ERROR' || code === 'SQLITE_RANGE' || code === 'SQLITE_MISMATCH' || !code)
    return new SpinError('processor.bad_query', `bad query: ${text}`);
  return new SpinError('processor.upstream_error', `SQLite: ${text}`);
}

/** A bind parameter for better-sqlite3: booleans as 0/1, objects and arrays as JSON text. */
function toParam(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
}

/**
 * Run one statement in a child process and stream its rows as table pages. Cancelling (or the
 * connection's statement timeout) SIGKILLs the child, which ends SQLite's work at once.
 */
function runQuery(
  config: SqliteConfig,
  request: ProcessorRequest,
  signal: AbortSignal,
  host: ProcessorHost,
): AsyncIterable<ProcessorFrame> {
  const p = SqlProgramSchema.parse(request.params);
  const queue = new FrameQueue<ProcessorFrame | SpinError>();
  const pageRows = host.limits.pageRows;
  // The file path in argv lets operators (and tests) see which database a query process reads.
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD_SOURCE, '--', config.path], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: host.env,
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
  let pager: TablePager | null = null;
  let fields: { name: string; decl: string | null }[] = [];
  let total = 0;
  let finished = false;
  const finish = (last: ProcessorFrame | SpinError | null) => {
    if (finished) return;
    finished = true;
    if (last) queue.push(last);
    queue.end();
    signal.removeEventListener('abort', onAbort);
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  const onAbort = () => finish(new SpinError('processor.timeout', 'the query was cancelled'));
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = config.statementTimeoutMs
    ? setTimeout(
        () =>
          finish(
            new SpinError(
              'processor.timeout',
              `the statement ran past the connection's timeout of ${config.statementTimeoutMs} ms`,
            ),
          ),
        config.statementTimeoutMs,
      )
    : undefined;
  child.on('message', (m: ChildMessage) => {
    if (finished) return;
    if (m.type === 'fields') fields = m.fields;
    else if (m.type === 'rows') {
      if (!pager) {
        const schema: Field[] = fields.map((f, i) => ({
          name: f.name,
          type:
            declaredType(f.decl) ??
            valueType(m.rows.find((r) => r[i] !== null && r[i] !== undefined)?.[i]),
        }));
        pager = new TablePager(schema, `${request.jti}:rows`, pageRows);
      }
      for (const row of m.rows) {
        const frame = pager.push(row);
        if (frame) queue.push(frame);
      }
      total += m.rows.length;
      // the next page only once this one is queued: a slow consumer holds one page at a time.
      // After its last page the child sends `done` and exits without reading this `more`, so
      // a failed send (EPIPE) is expected then; a child that really died early is reported by
      // 'close' below.
      child.send({ type: 'more' }, () => undefined);
    } else if (m.type === 'done') {
      if (!pager && fields.length)
        pager = new TablePager(
          fields.map((f) => ({ name: f.name, type: declaredType(f.decl) ?? 'string' })),
          `${request.jti}:rows`,
          pageRows,
        );
      if (pager) queue.push(pager.end(total));
      else {
        const n = m.changes ?? 0;
        queue.push({
          type: 'stream',
          name: 'stderr',
          text: `OK, ${n} row${n === 1 ? '' : 's'} changed\n`,
        });
      }
      finish({ type: 'raw', value: { rowCount: pager ? total : (m.changes ?? 0) } });
    } else finish(sqliteError(m.code, m.message, config));
  });
  child.on('error', (err) =>
    finish(
      new SpinError('processor.unavailable', `cannot start the SQLite process: ${err.message}`),
    ),
  );
  // 'close' (not 'exit'): it comes after the IPC channel is drained, so a `done` the child
  // sent just before exiting is never mistaken for an early end.
  child.on('close', (code, sig) => {
    if (!finished) {
      host.logger.warn({ code, signal: sig }, 'sqlite query process ended early');
      finish(
        new SpinError(
          'processor.upstream_error',
          `the SQLite process ended (${sig ?? code}): ${stderr.trim().slice(-500)}`,
        ),
      );
    }
  });
  child.send({
    type: 'run',
    job: {
      module: BETTER_SQLITE3,
      file: config.path,
      readOnly: config.readOnly,
      sql: p.sql,
      params: p.params.map(toParam),
      pageRows,
    },
  });
  return (async function* () {
    try {
      for await (const item of queue) {
        if (item instanceof SpinError) throw item;
        yield item;
      }
    } finally {
      finish(null);
    }
  })();
}

/** Collect a small query's rows (browse, complete, health) as objects. */
async function rowsOf(
  config: SqliteConfig,
  host: ProcessorHost,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const frames = runQuery(
    { ...config, readOnly: true },
    {
      params: { sql, params },
      cwd: '/',
      limits: { timeoutMs: 10_000, outputBytes: 1 << 20 },
      timeRange: { from: new Date(0).toISOString(), to: new Date(0).toISOString() },
      cell: 'browse',
      jti: 'browse',
    },
    AbortSignal.timeout(10_000),
    host,
  );
  for await (const f of frames) {
    if (f.type !== 'table') continue;
    const n = f.frame.columns[0]?.length ?? 0;
    for (let r = 0; r < n; r++) {
      out.push(
        Object.fromEntries(f.frame.schema.fields.map((fl, i) => [fl.name, f.frame.columns[i]![r]])),
      );
    }
  }
  return out;
}

/**
 * A SQLite processor instance for a database file. `readOnly` opens the file with
 * SQLITE_OPEN_READONLY, so SQLite itself refuses writes; each query runs in its own process.
 */
export function createSqlite(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError('processor.connection_required', 'a SQLite cell needs a connection');
  }
  const config = SqliteConfigSchema.parse(connection.config);
  return {
    query: (request, signal) => runQuery(config, request, signal, host),
    async checkHealth() {
      try {
        const [r] = await rowsOf(
          config,
          host,
          'SELECT sqlite_version() AS v, count(*) AS n FROM sqlite_master',
        );
        return { ok: true, message: `SQLite ${String(r?.v)}, ${String(r?.n)} schema objects` };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    /** `[]`: the schema `main`; `[main]`: tables and views; `[main, table]`: its columns. */
    async browse(path) {
      if (path.length === 0) return [{ name: 'main', kind: 'schema' }];
      if (path.length === 1) {
        return rowsOf(
          config,
          host,
          `SELECT name, type AS kind FROM sqlite_master
           WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY 1`,
        );
      }
      const cols = await rowsOf(
        config,
        host,
        `SELECT name, 'column' AS kind, type, "notnull" FROM pragma_table_info(?) ORDER BY cid`,
        [path[1]],
      );
      return cols.map(({ notnull, ...c }) => ({ ...c, nullable: notnull === 0 }));
    },
    /** Table and column names starting with the word before the cursor. */
    async complete(text, cursor) {
      const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(text.slice(0, cursor))?.[0] ?? '';
      const found = await rowsOf(
        config,
        host,
        `SELECT DISTINCT name FROM (
           SELECT m.name AS name FROM sqlite_master m WHERE m.type IN ('table', 'view')
           UNION SELECT c.name FROM sqlite_master m, pragma_table_info(m.name) c
           WHERE m.type IN ('table', 'view')
         ) WHERE name LIKE ? ESCAPE '\\' AND name NOT LIKE 'sqlite_%' ORDER BY 1 LIMIT 200`,
        [`${word.replace(/[\\%_]/g, '\\$&')}%`],
      );
      return found.map((r) => String(r.name));
    },
    dispose: () => undefined,
  };
}
