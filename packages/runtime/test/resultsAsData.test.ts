import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_MIME, type JournalEvent } from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

function stdout(events: JournalEvent[]): string {
  return events
    .flatMap((e) => (e.type === 'stream' && e.data.name === 'stdout' ? [e.data.text] : []))
    .join('');
}

function ended(events: JournalEvent[]) {
  const last = events[events.length - 1];
  if (last?.type !== 'cell_ended') throw new Error('no cell_ended');
  return last.data;
}

function errorText(events: JournalEvent[]): string {
  return events
    .flatMap((e) => (e.type === 'error' ? [`${e.data.ename}: ${e.data.evalue}`] : []))
    .join('\n');
}

// DESIGN.md §3 "results as data": an integration cell's result is a session variable that a
// Python kernel of the same session sees as a CellResult and later cells' templates read.
describe('results as data (real bash, real ipykernel with pandas)', () => {
  let h: Harness;
  let client: TestClient;
  const workDir = () => join(h.home, 'sessions', 'ses_1', 'work');

  beforeAll(async () => {
    h = await startPaired();
    client = await TestClient.session(h.rt.url, await h.server.token());
  });
  afterAll(async () => {
    client.close();
    await h.close();
  });

  it('binds a shell table into Python as .columns, .rows and a pandas .df', async () => {
    const rows = [
      { host: 'web-1', cpu: 0.5 },
      { host: 'web-2', cpu: 2.25 },
      { host: 'db-1', cpu: 3.75 },
    ];
    const table = await client.run(
      await h.server.cell({
        id: 'hosts_cell',
        type: 'shell',
        source: rows.map((r) => `echo '${JSON.stringify(r)}'`).join('\n'),
        params: { output: 'jsonl' },
        resultVar: 'hosts',
      }),
    );
    expect(ended(table).status).toBe('ok');
    const shown = table.find((e) => e.type === 'display_data');
    expect(shown?.type === 'display_data' && shown.data.data[TABLE_MIME]).toMatchObject({
      schema: {
        fields: [
          { name: 'host', type: 'string' },
          { name: 'cpu', type: 'number' },
        ],
      },
      columns: [
        ['web-1', 'web-2', 'db-1'],
        [0.5, 2.25, 3.75],
      ],
      page: { index: 0, last: true },
    });
    // A session of shell cells only never starts a kernel.
    expect(h.rt.kernels.spawnedCount).toBe(0);

    const py = await client.run(
      await h.server.python(
        [
          'import pandas as pd',
          'print(hosts.columns, len(hosts), hosts.rows[1]["host"])',
          'print(isinstance(hosts.df, pd.DataFrame), hosts.df["cpu"].sum())',
          'print(type(hosts).__name__, hosts.kind)',
        ].join('\n'),
        { cell: 'py1' },
      ),
    );
    expect(errorText(py)).toBe('');
    expect(stdout(py)).toBe("['host', 'cpu'] 3 web-2\nTrue 6.5\nCellResult table\n");
    // Binding the variable was silent: it did not take an execution count.
    expect(ended(py).executionCount).toBe(1);
  });

  it("makes a text command's output a result: one row per line, .raw is stdout", async () => {
    await client.run(
      await h.server.cell({ id: 'who', type: 'shell', source: 'printf "a\\nb\\n"' }),
    );
    const py = await client.run(
      await h.server.python('print(cell_who.rows, repr(cell_who.raw), list(cell_who.df["line"]))', {
        cell: 'py2',
      }),
    );
    expect(stdout(py)).toBe("[{'line': 'a'}, {'line': 'b'}] 'a\\nb\\n' ['a', 'b']\n");
    expect(ended(py).executionCount).toBe(2);
  });

  it('resolves {{var}} from an earlier result, and hostile values arrive literally', async () => {
    const nasty = `it's "q" $(touch pwned1) \`touch pwned2\` {{x}} \\ ;touch pwned3`;
    // In the script that prints it, `\{{` keeps the braces from being a reference.
    const script = nasty.replace('{{', '\\{{');
    const first = await client.run(
      await h.server.cell({
        id: 'src',
        type: 'shell',
        source: `cat <<'EOF'\n${script}\nEOF`,
        resultVar: 'v',
      }),
    );
    expect(stdout(first)).toBe(nasty + '\n');
    const used = await client.run(
      await h.server.cell({
        id: 'use',
        type: 'shell',
        source: [
          'printf "%s|" {{v}}',
          `echo`,
          `echo "in double: {{v}}"`,
          `echo 'in single: {{v}}'`,
          'cat <<EOF',
          'heredoc: {{v}}',
          'EOF',
          'echo "env: $NOTE"',
        ].join('\n'),
        params: { env: { NOTE: 'note {{v}}' } },
      }),
    );
    expect(errorText(used)).toBe('');
    expect(stdout(used)).toBe(
      [
        `${nasty}|`,
        `in double: ${nasty}`,
        `in single: ${nasty}`,
        `heredoc: ${nasty}`,
        `env: note ${nasty}`,
        '',
      ].join('\n'),
    );
    for (const marker of ['pwned1', 'pwned2', 'pwned3']) {
      expect(existsSync(join(workDir(), marker)), marker).toBe(false);
    }
  });

  it('reads paths into a result and refuses unknown variables with a clear error', async () => {
    const ok = await client.run(
      await h.server.cell({
        id: 'p1',
        type: 'shell',
        source: 'echo "{{hosts.rows.2.host}} of {{hosts.rowCount}}"',
      }),
    );
    expect(stdout(ok)).toBe('db-1 of 3\n');
    const bad = await client.run(
      await h.server.cell({ id: 'p2', type: 'shell', source: 'echo {{nope}}; touch ran' }),
    );
    expect(ended(bad).status).toBe('error');
    expect(errorText(bad)).toContain('template.unknown_variable');
    expect(errorText(bad)).toContain('{{nope}}');
    expect(existsSync(join(workDir(), 'ran'))).toBe(false);
  });

  it('passes the time range to the script, and keeps a failed cell from replacing a variable', async () => {
    const range = { from: '2026-03-01T10:00:00.000Z', to: '2026-03-01T11:00:00.000Z' };
    const events = await client.run(
      await h.server.cell({
        id: 'tr',
        type: 'shell',
        source: 'echo "$SPIN_TIME_FROM $SPIN_TIME_TO"',
        timeRange: range,
        resultVar: 'hosts',
      }),
    );
    expect(stdout(events)).toBe(`${range.from} ${range.to}\n`);
    await client.run(
      await h.server.cell({
        id: 'fail',
        type: 'shell',
        source: 'echo partial; exit 4',
        resultVar: 'hosts',
      }),
    );
    const py = await client.run(
      await h.server.python('print(hosts.rows[0]["line"], hosts.time_range["from"])', {
        cell: 'py3',
      }),
    );
    expect(stdout(py)).toBe(`${range.from} ${range.to} ${range.from}\n`);
  });

  it('streams a large result to the variable in full while output stays within its budget', async () => {
    const big = await client.run(
      await h.server.cell(
        {
          id: 'big',
          type: 'shell',
          source: 'seq 1 20000 | sed \'s/.*/{"n": &}/\'',
          params: { output: 'jsonl' },
          resultVar: 'big',
        },
        { limits: { timeoutMs: 60_000, outputBytes: 20_000 } },
      ),
    );
    expect(ended(big).status).toBe('ok');
    const shown = JSON.stringify(big.filter((e) => e.type !== 'cell_ended')).length;
    expect(shown).toBeLessThan(40_000);
    const py = await client.run(
      await h.server.python('print(len(big), big.df["n"].sum(), big.truncated)', { cell: 'py4' }),
    );
    expect(stdout(py)).toBe('20000 200010000 False\n');
  });

  it('binds every variable again into a kernel that replaced a dead one', async () => {
    await client.run(await h.server.python('import os; os._exit(1)', { cell: 'die' }));
    const py = await client.run(
      await h.server.python('print(len(hosts), len(big), cell_who.rows[1])', { cell: 'py5' }),
    );
    expect(errorText(py)).toBe('');
    expect(stdout(py)).toBe("1 20000 {'line': 'b'}\n");
  });

  it('refuses programs for unknown processors or with parameters the manifest rejects', async () => {
    const unknown = await client.run(
      await h.server.seal(
        h.server.claims(
          { kind: 'processor', processor: 'nosuch', connection: null, params: {} },
          { cell: 'u1' },
        ),
      ),
    );
    expect(ended(unknown).status).toBe('error');
    expect(errorText(unknown)).toContain('ProcessorNotFound: processor.not_found');
    const manifestId = 'shell';
    const invalid = await client.run(
      await h.server.seal(
        h.server.claims(
          { kind: 'processor', processor: manifestId, connection: null, params: { script: 42 } },
          { cell: 'u2' },
        ),
      ),
    );
    expect(errorText(invalid)).toContain('InvalidParams: processor.invalid_params');
  });
});
