/**
 * The program a SQLite query runs in: a child Node process, so cancelling can end it with
 * SIGKILL. (A worker thread cannot be stopped while SQLite is inside one long native call —
 * `Worker.terminate()` waits for it to return; SQLite's own interrupt is not exposed by
 * better-sqlite3.) It is passed to `node -e` as source, so it must be self-contained; the
 * parent hands it the better-sqlite3 module path and the query on stdin-less IPC.
 *
 * Messages to the parent: `fields`, `rows` (one page; the child waits for `more` before the
 * next, so a slow consumer holds at most one page here), `done`, `error`.
 */
export function sqliteChildMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  type Job = {
    module: string;
    file: string;
    readOnly: boolean;
    sql: string;
    params: unknown[];
    pageRows: number;
  };
  const send = (m: unknown) =>
    new Promise<void>((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));
  let wake: (() => void) | null = null;
  const more = () => new Promise<void>((r) => (wake = r));
  process.on('message', (m: { type: string; job?: Job }) => {
    if (m.type === 'more') {
      const w = wake;
      wake = null;
      w?.();
    } else if (m.type === 'run' && m.job) void run(m.job);
  });
  process.on('disconnect', () => process.exit(0));

  const value = (v: unknown): unknown => {
    if (typeof v === 'bigint') {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v.toString();
    }
    if (Buffer.isBuffer(v)) return v.toString('base64');
    return v;
  };

  async function run(job: Job): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let db: any;
    try {
      const Database = require(job.module);
      db = new Database(job.file, { readonly: job.readOnly, fileMustExist: true });
      db.pragma('busy_timeout = 1000');
      const stmt = db.prepare(job.sql);
      if (!stmt.reader) {
        const info = stmt.run(...job.params);
        await send({ type: 'done', changes: info.changes });
        return;
      }
      stmt.raw(true);
      stmt.safeIntegers(true);
      const columns = stmt.columns() as { name: string; type: string | null }[];
      await send({ type: 'fields', fields: columns.map((c) => ({ name: c.name, decl: c.type })) });
      let page: unknown[][] = [];
      for (const row of stmt.iterate(...job.params) as Iterable<unknown[]>) {
        page.push(row.map(value));
        if (page.length >= job.pageRows) {
          await send({ type: 'rows', rows: page });
          page = [];
          await more();
        }
      }
      if (page.length) await send({ type: 'rows', rows: page });
      await send({ type: 'done' });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      await send({ type: 'error', code: e.code ?? null, message: String(e.message ?? err) });
    } finally {
      db?.close();
      process.disconnect?.();
    }
  }
}
