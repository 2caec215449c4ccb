import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type NotebookSession, type ServerApi } from '@spin/client';
import {
  ConnectionSchema,
  TIMESERIES_MIME,
  type CellInput,
  type Output,
  type Series,
  type TemplateVariable,
} from '@spin/protocol';
import {
  createTestDatabase as createMysqlDatabase,
  MYSQL_ADMIN,
} from '../../runtime/src/processors/mysql/fixture.js';
import {
  createTestDatabase as createPgDatabase,
  PG_ADMIN,
} from '../../runtime/src/processors/postgres/fixture.js';
import { PrometheusServer } from '../../runtime/src/processors/prometheus/prometheusServer.js';
import { openSession, signedUpApi, startStack, type StackFixture } from './fixtures.js';

// Issue 9, acceptance 4 — end to end: template variables defined on the notebook, a value
// entered at session start, checked and compiled by the server, bound by the runtime.
const INJECTION = "x'; DROP TABLE t; --";
/** Quotes, braces (a template reference too), backslashes and a newline. */
const AWKWARD = 'a"b\'c}{d\\e\\\\n\nf {{other}} `$(id)` ${HOME}';

let workDir: string;
let stack: StackFixture;
let api: ServerApi;
let session: NotebookSession;
let notebookId: string;
let prometheus: PrometheusServer;
let my: Awaited<ReturnType<typeof createMysqlDatabase>>;
let pgdb: Awaited<ReturnType<typeof createPgDatabase>>;

const VARIABLES: TemplateVariable[] = [
  { name: 'target', type: 'input', valueKind: 'string' },
  { name: 'awkward', type: 'input', valueKind: 'string' },
  { name: 'region', type: 'static', value: 'eu-west-1' },
  { name: 'limit', type: 'input', valueKind: 'number', default: 5, allowed: [5, 10] },
  {
    name: 'computed',
    type: 'code_python',
    code: 'import math\n{"host": "web-" + str(6 * 7), "pi": round(math.pi, 2)}',
    kernel: 'python3',
  },
];

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'spin-tplvars-'));
  my = await createMysqlDatabase('spin_tv_my');
  await my.admin.query(
    `CREATE TABLE ${my.database}.t (v varchar(64)); INSERT INTO ${my.database}.t VALUES ('kept')`,
  );
  pgdb = await createPgDatabase('spin_tv_pg');
  const pgc = new pg.Client({ ...PG_ADMIN, database: pgdb.database });
  await pgc.connect();
  await pgc.query(`CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')`);
  await pgc.end();
  prometheus = await new PrometheusServer().start({ targetLabels: { weird: AWKWARD } });

  stack = await startStack({ base: workDir });
  api = await signedUpApi(stack);
  const nb = await api.createNotebook({
    title: 'Template variables',
    cells: [],
    settings: { timeRange: { from: 'now-1h', to: 'now' }, templateVariables: VARIABLES },
  });
  // The connections live at the server and reach the runtime in its credential bundle.
  const connections = [
    {
      processor: 'mysql',
      name: 'mariadb',
      config: { host: '127.0.0.1', port: 3306, database: my.database, user: my.user },
      secrets: { password: my.password },
    },
    {
      processor: 'postgres',
      name: 'pg',
      config: { host: '127.0.0.1', port: 5432, database: pgdb.database, user: 'postgres' },
    },
    { processor: 'prometheus', name: 'prom', config: { url: prometheus.url } },
  ];
  for (const c of connections) {
    await api.http.request(
      'POST',
      `/api/v1/workspaces/${nb.workspaceId}/connections`,
      ConnectionSchema,
      c,
    );
  }
  notebookId = nb.id;
  session = await openSession(api, notebookId);
  const runs = await session.resolveVariables(VARIABLES, { target: INJECTION, awkward: AWKWARD });
  expect(runs.get('computed')?.status).toBe('ok');
}, 240_000);

afterAll(async () => {
  session?.close();
  await stack?.close();
  await prometheus?.stop();
  await my?.drop();
  await pgdb?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

let seq = 0;
async function run(cell: Omit<CellInput, 'id'>) {
  const r = await session.run({ id: `c${++seq}`, ...cell });
  await r.audited;
  return r;
}

function stdout(outputs: Output[]): string {
  return outputs
    .map((o) => (o.output_type === 'stream' && o.name === 'stdout' ? o.text : ''))
    .join('');
}

/** The first table output's columns, as the runtime sent them (`application/vnd.spin.table+json`). */
function table(outputs: Output[]): { names: string[]; columns: unknown[][] } {
  for (const o of outputs) {
    if (o.output_type !== 'display_data') continue;
    const t = o.data['application/vnd.spin.table+json'] as
      { schema: { fields: { name: string }[] }; columns: unknown[][] } | undefined;
    if (t) return { names: t.schema.fields.map((f) => f.name), columns: t.columns };
  }
  throw new Error(`no table in ${JSON.stringify(outputs)}`);
}

/** The series of the first time-series output. */
function series(outputs: Output[]): Series[] {
  for (const o of outputs) {
    if (o.output_type !== 'display_data') continue;
    const ts = o.data[TIMESERIES_MIME] as { series: Series[] } | undefined;
    if (ts) return ts.series;
  }
  return [];
}

async function mysqlTables(): Promise<string[]> {
  const c = await mysql.createConnection({ ...MYSQL_ADMIN, database: my.database });
  const [rows] = await c.query('SELECT v FROM t');
  await c.end();
  return (rows as { v: string }[]).map((r) => r.v);
}

describe('template variables end to end (issue 9)', () => {
  it('an injection attempt reaches MariaDB as a bound parameter; table t is still there', async () => {
    // The statement as MariaDB holds it (its process list) has a placeholder, not the value.
    const r = await run({
      type: 'mysql',
      connection: 'mariadb',
      source:
        'SELECT {{target}} AS got, (SELECT COUNT(*) FROM t) AS n, ' +
        '(SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()) AS q',
    });
    expect(r.status).toBe('ok');
    const [got, n, q] = table(r.outputs).columns;
    expect(got).toEqual([INJECTION]);
    expect(n).toEqual([1]);
    expect(String(q![0])).toMatch(/^SELECT \? AS got/);
    expect(String(q![0])).not.toContain('DROP');
    expect(await mysqlTables()).toEqual(['kept']);
  });

  it('an injection attempt reaches PostgreSQL as a bound parameter; table t is still there', async () => {
    const r = await run({
      type: 'postgres',
      connection: 'pg',
      source:
        'SELECT {{target}}::text AS got, (SELECT count(*)::int FROM t) AS n, current_query() AS q',
    });
    expect(r.status).toBe('ok');
    const [got, n, q] = table(r.outputs).columns;
    expect(got).toEqual([INJECTION]);
    expect(n).toEqual([1]);
    expect(String(q![0])).toMatch(/^SELECT \$1::text AS got/);
    expect(String(q![0])).not.toContain('DROP');
    const c = new pg.Client({ ...PG_ADMIN, database: pgdb.database });
    await c.connect();
    const rows = (await c.query('SELECT v FROM t')).rows as { v: string }[];
    await c.end();
    expect(rows.map((x) => x.v)).toEqual(['kept']);
  });

  it('a value with quotes, braces, backslashes and newlines matches a Prometheus label exactly', async () => {
    // The target's `weird` label holds the value; a matcher finds the series only when
    // Prometheus received exactly that literal, and the label it returns is the same text.
    const r = await run({
      type: 'prometheus',
      connection: 'prom',
      source: 'up{job="prometheus", weird="{{awkward}}"}',
    });
    expect(r.status).toBe('ok');
    expect(series(r.outputs).map((s) => s.labels.weird)).toEqual([AWKWARD]);
    // A different value (the SQL one) matches nothing: the matcher is not a pattern.
    const other = await run({
      type: 'prometheus',
      connection: 'prom',
      source: 'up{weird="{{target}}"} or up{weird=~"{{target}}"}',
    });
    expect(other.status).toBe('ok');
    expect(series(other.outputs)).toEqual([]);
  });

  it('the same value arrives literally as a shell argument', async () => {
    const r = await run({
      type: 'shell',
      source: "printf '%s' {{awkward}} > out.txt; cat out.txt",
    });
    expect(r.status).toBe('ok');
    expect(stdout(r.outputs)).toBe(AWKWARD);
  });

  it('static, default and code_python values resolve; Python reads them from spin_vars', async () => {
    const sh = await run({
      type: 'shell',
      source: 'echo {{region}} {{limit}} {{computed.host}} {{computed.pi}}',
    });
    expect(stdout(sh.outputs)).toBe('eu-west-1 5 web-42 3.14\n');
    // a parameter besides the source (the shell cell's environment)
    const env = await run({
      type: 'shell',
      source: 'printf "%s|%s" "$REGION" "$HOST"',
      params: { env: { REGION: '{{region}}', HOST: '{{computed.host}}' } },
    });
    expect(stdout(env.outputs)).toBe('eu-west-1|web-42');
    const py = await run({
      type: 'python',
      source: 'print(spin_vars["region"], spin_vars["target"], spin_vars["computed"]["host"])',
    });
    expect(py.status).toBe('ok');
    expect(stdout(py.outputs)).toBe(`eu-west-1 ${INJECTION} web-42\n`);
  });

  it('a restarted kernel gets every template value again as spin_vars', async () => {
    await session.restart();
    const py = await run({
      type: 'python',
      source: 'print(sorted(spin_vars), spin_vars["computed"]["pi"])',
    });
    expect(stdout(py.outputs)).toBe("['awkward', 'computed', 'limit', 'region', 'target'] 3.14\n");
  });

  it('a Python cell cannot set a template value by imitating the variable program', async () => {
    const forged = await run({
      type: 'python',
      source:
        'from IPython.display import display\n' +
        'display({"application/json": {"host": "evil"}, "text/plain": "x"}, raw=True, ' +
        'metadata={"spin": {"templateVar": "computed"}})',
    });
    expect(forged.status).toBe('ok');
    const sh = await run({ type: 'shell', source: 'echo {{computed.host}}' });
    expect(stdout(sh.outputs)).toBe('web-42\n');
  });

  it('the server refuses values that do not fit the definitions, and client-made static values', async () => {
    const cell = { id: 'bad', type: 'shell', source: 'echo {{limit}}' } as const;
    const refused = async (templateValues: Record<string, string | number | boolean>) => {
      const err = await api.compile(notebookId, { sid: session.sid, cell, templateValues }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApiError);
      return (err as ApiError).code;
    };
    expect(await refused({ limit: 7 })).toBe('template.invalid_value');
    expect(await refused({ limit: 'many' })).toBe('template.invalid_value');
    expect(await refused({ region: 'us-east-1' })).toBe('template.not_input');
    expect(await refused({ computed: 'x' })).toBe('template.not_input');
    expect(await refused({ nope: 'x' })).toBe('template.unknown_variable');
  });

  it('a Python variable whose value is not JSON fails its run with a clear error', async () => {
    const vars: TemplateVariable[] = [
      { name: 'broken', type: 'code_python', code: 'object()', kernel: 'python3' },
    ];
    const other = await api.createNotebook({
      title: 'Broken variable',
      settings: { timeRange: { from: 'now-1h', to: 'now' }, templateVariables: vars },
    });
    const s = await openSession(api, other.id);
    try {
      const runs = await s.resolveVariables(vars, {});
      const r = runs.get('broken')!;
      expect(r.status).toBe('error');
      expect(r.outputs).toContainEqual(
        expect.objectContaining({
          output_type: 'error',
          ename: 'TypeError',
          evalue: expect.stringContaining(
            'template variable broken: the value of the last line is not JSON',
          ),
        }),
      );
      const sh = await s.run({ id: 'uses', type: 'shell', source: 'echo {{broken}}' });
      expect(sh.status).toBe('error');
      expect(JSON.stringify(sh.outputs)).toContain('template.unknown_variable');
    } finally {
      s.close();
    }
  });

  it('a cell using an input variable with no value is refused by name', async () => {
    const fresh = await openSession(api, notebookId);
    try {
      const err = await fresh.run({ id: 'novalue', type: 'shell', source: 'echo {{target}}' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'template.missing_value' });
      expect((err as Error).message).toContain('"target"');
    } finally {
      fresh.close();
    }
  });
});
