import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  dbKinds,
  defaultWorkspaceId,
  makeReceipt,
  openSession,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

const run = promisify(execFile);
/** Debian's interpreter, which has python3-nbformat (the `python3` on PATH may not). */
const PYTHON = '/usr/bin/python3';

/** 1x1 transparent PNG, base64 — an image attachment and an image output. */
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

/**
 * A notebook with every output type, attachments, a raw cell, unknown notebook and cell
 * metadata, an unknown top-level field and an unknown cell field.
 */
const RICH = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {
    kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' },
    language_info: { name: 'python', version: '3.11.2' },
    vendor: { nested: { keep: [1, 'two', { three: null }] } },
  },
  x_future_field: { kept: true },
  cells: [
    {
      id: 'intro',
      cell_type: 'markdown',
      metadata: { tags: ['intro'], collapsed_custom: 'yes' },
      source: ['# Disk full\n', '![chart](attachment:chart.png)'],
      attachments: { 'chart.png': { 'image/png': PNG } },
    },
    {
      id: 'run-1',
      cell_type: 'code',
      metadata: { scrolled: 'auto', execution: { 'iopub.status.busy': '2026-12-01T10:00:00Z' } },
      source: 'import sys\nprint("out")\nprint("err", file=sys.stderr)\n1 + 1',
      execution_count: 3,
      x_cell_field: 'kept too',
      outputs: [
        { output_type: 'stream', name: 'stdout', text: ['out\n'] },
        { output_type: 'stream', name: 'stderr', text: 'err\n' },
        {
          output_type: 'display_data',
          data: { 'image/png': PNG, 'text/plain': ['<Figure>'] },
          metadata: { 'image/png': { width: 1, height: 1 } },
        },
        {
          output_type: 'execute_result',
          execution_count: 3,
          data: { 'text/plain': ['2'], 'application/json': { answer: 2, list: [1, 2] } },
          metadata: {},
        },
        {
          output_type: 'error',
          ename: 'ZeroDivisionError',
          evalue: 'division by zero',
          traceback: ['\u001b[0;31mZeroDivisionError\u001b[0m: division by zero'],
        },
      ],
    },
    { id: 'raw-1', cell_type: 'raw', metadata: { format: 'text/x-rst' }, source: '.. note::' },
    {
      id: 'shell-1',
      cell_type: 'code',
      metadata: { spin: { cellType: 'shell', params: { output: 'jsonl' }, resultVar: 'disks' } },
      source: 'df -h',
      execution_count: null,
      outputs: [],
    },
  ],
};

/** Writes a notebook the way Jupyter tooling does: nbformat's own constructors and writer. */
const NBFORMAT_SCRIPT = `
import sys, nbformat
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell, new_output
nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
nb.cells.append(new_markdown_cell("# Made by nbformat\\nsecond line", attachments={"a.png": {"image/png": "${PNG}"}}))
nb.cells.append(new_code_cell("print('hello')\\nprint('world')", execution_count=1, outputs=[
    new_output("stream", name="stdout", text="hello\\nworld\\n"),
]))
nb.cells.append(new_code_cell("21 * 2", execution_count=2, outputs=[
    new_output("execute_result", data={"text/plain": "42", "text/html": "<b>42</b>"}, execution_count=2),
    new_output("display_data", data={"image/png": "${PNG}", "text/plain": "<Figure size 1x1>"}),
]))
nb.cells.append(new_code_cell("1/0", execution_count=3, outputs=[
    new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=["Traceback", "ZeroDivisionError: division by zero"]),
]))
nbformat.validate(nb)
nbformat.write(nb, sys.argv[1])
`;

/** Validate a file with nbformat itself; prints nothing and exits 0 when it is valid. */
const VALIDATE_SCRIPT = `
import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=nbformat.NO_CONVERT)
nbformat.validate(nb)
print("valid", nb.nbformat, nb.nbformat_minor, len(nb.cells))
`;

describe.each(dbKinds)('.ipynb import and export (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let ws: string;
  let dir: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
    dir = await mkdtemp(join(tmpdir(), 'spin-ipynb-'));
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function notebookCount(): Promise<number> {
    const { rows } = (await t.server.services.database.db.execute(
      sql`select count(*)::int as n from notebooks`,
    )) as unknown as { rows: { n: number }[] };
    return Number(rows[0]!.n);
  }

  function importFile(body: string | object, query = '', client = admin) {
    return client.request(
      'POST',
      `/api/v1/workspaces/${ws}/notebooks/import${query}`,
      typeof body === 'string' ? body : JSON.stringify(body),
      { 'content-type': 'application/json' },
    );
  }

  async function validateWithNbformat(text: string, name: string): Promise<string> {
    const file = join(dir, `${name}-${kind}.ipynb`);
    await writeFile(file, text);
    return (await run(PYTHON, ['-c', VALIDATE_SCRIPT, file])).stdout.trim();
  }

  async function exportText(id: string): Promise<string> {
    const res = await admin.request('GET', `/api/v1/notebooks/${id}/export.ipynb`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ipynb+json');
    return res.body;
  }

  it('export → import → export is byte-identical, keeping outputs, attachments and unknown metadata', async () => {
    const first = await importFile(RICH, '?title=Disk%20full');
    expect(first.statusCode).toBe(201);
    const a = await exportText(first.json().id);

    const second = await importFile(a);
    expect(second.statusCode).toBe(201);
    expect(second.json().title).toBe('Disk full');
    const b = await exportText(second.json().id);
    expect(b).toBe(a);

    // what SPIN does not use came through the first import untouched
    const exported = JSON.parse(a);
    expect(exported.x_future_field).toEqual({ kept: true });
    expect(exported.metadata.vendor).toEqual(RICH.metadata.vendor);
    expect(exported.metadata.kernelspec).toEqual(RICH.metadata.kernelspec);
    expect(exported.metadata.spin).toEqual({ title: 'Disk full' });
    const [intro, code, raw, shell] = exported.cells;
    expect(intro).toEqual({
      ...RICH.cells[0],
      source: ['# Disk full\n', '![chart](attachment:chart.png)'],
    });
    expect(code.x_cell_field).toBe('kept too');
    expect(code.metadata).toEqual(RICH.cells[1]!.metadata);
    expect(code.execution_count).toBe(3);
    expect(code.outputs).toEqual(RICH.cells[1]!.outputs);
    expect(code.source).toEqual([
      'import sys\n',
      'print("out")\n',
      'print("err", file=sys.stderr)\n',
      '1 + 1',
    ]);
    expect(raw).toEqual({ ...RICH.cells[2], source: ['.. note::'] });
    expect(shell.metadata.spin).toEqual(RICH.cells[3]!.metadata.spin);

    // the user sees the imported outputs and SPIN's own cell types in the editor
    const nb = (await admin.request('GET', `/api/v1/notebooks/${second.json().id}`)).json();
    expect(nb.cells.map((c: { id: string; type: string }) => [c.id, c.type])).toEqual([
      ['intro', 'markdown'],
      ['run-1', 'python'],
      ['raw-1', 'markdown'],
      ['shell-1', 'shell'],
    ]);
    expect(nb.cells[3]).toMatchObject({ params: { output: 'jsonl' }, resultVar: 'disks' });
    expect(nb.cells[1].outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'out\n' },
      { output_type: 'stream', name: 'stderr', text: 'err\n' },
      {
        output_type: 'display_data',
        data: { 'image/png': PNG, 'text/plain': '<Figure>' },
        metadata: { 'image/png': { width: 1, height: 1 } },
      },
      {
        output_type: 'execute_result',
        execution_count: 3,
        data: { 'text/plain': '2', 'application/json': { answer: 2, list: [1, 2] } },
        metadata: {},
      },
      RICH.cells[1]!.outputs![4],
    ]);

    // and nbformat itself accepts the export as a valid 4.5 notebook once the two fields this
    // fixture made up on purpose (nbformat's schema forbids unknown fields) are taken out
    delete exported.x_future_field;
    delete exported.cells[1].x_cell_field;
    expect(await validateWithNbformat(JSON.stringify(exported), 'rich')).toBe('valid 4 5 4');
  });

  it("keeps SPIN's own cell types, params and connection through a round trip", async () => {
    const created = await admin.request('POST', '/api/v1/notebooks', {
      title: 'Runbook',
      settings: { timeRange: { from: 'now-6h', to: 'now' } },
      cells: [
        { id: 'm', type: 'markdown', source: '# Steps' },
        { id: 'p', type: 'python', source: 'x = 1', params: { kernel: 'python3' } },
        { id: 's', type: 'shell', source: 'uptime', params: { env: { A: '1' } }, resultVar: 'up' },
        {
          id: 'r',
          type: 'rest',
          source: 'GET /status',
          connection: 'status-api',
          params: { parse: 'json', followRedirects: false },
        },
      ],
    });
    expect(created.statusCode).toBe(201);
    const original = created.json();
    const a = await exportText(original.id);
    const parsed = JSON.parse(a);
    expect(parsed.cells.map((c: { cell_type: string }) => c.cell_type)).toEqual([
      'markdown',
      'code',
      'code',
      'code',
    ]);
    expect(parsed.cells[3].metadata.spin).toEqual({
      cellType: 'rest',
      connection: 'status-api',
      params: { parse: 'json', followRedirects: false },
    });
    expect(await validateWithNbformat(a, 'spin')).toBe('valid 4 5 4');
    const back = await importFile(a);
    expect(back.statusCode).toBe(201);
    const nb = back.json();
    expect(nb.title).toBe('Runbook');
    expect(nb.settings).toEqual(original.settings);
    const strip = (cells: { outputs: unknown; lastRun: unknown }[]) =>
      cells.map(({ outputs: _o, lastRun: _l, ...rest }) => rest);
    expect(strip(nb.cells)).toEqual(strip(original.cells));
    expect(await exportText(nb.id)).toBe(a);
  });

  it('imports a notebook written by Jupyter tooling (nbformat) with its outputs intact', async () => {
    const file = join(dir, `jupyter-${kind}.ipynb`);
    await run(PYTHON, ['-c', NBFORMAT_SCRIPT, file]);
    const text = await readFile(file, 'utf8');
    const res = await importFile(text, '?title=From%20Jupyter');
    expect(res.statusCode).toBe(201);
    const nb = (await admin.request('GET', `/api/v1/notebooks/${res.json().id}`)).json();
    expect(nb.cells.map((c: { type: string }) => c.type)).toEqual([
      'markdown',
      'python',
      'python',
      'python',
    ]);
    expect(nb.cells[0].source).toBe('# Made by nbformat\nsecond line');
    expect(nb.cells[1].outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'hello\nworld\n' },
    ]);
    expect(nb.cells[2].outputs).toEqual([
      {
        output_type: 'execute_result',
        execution_count: 2,
        data: { 'text/plain': '42', 'text/html': '<b>42</b>' },
        metadata: {},
      },
      {
        output_type: 'display_data',
        data: { 'image/png': PNG, 'text/plain': '<Figure size 1x1>' },
        metadata: {},
      },
    ]);
    expect(nb.cells[3].outputs[0]).toMatchObject({
      output_type: 'error',
      ename: 'ZeroDivisionError',
      evalue: 'division by zero',
    });

    // the export is Jupyter's own file plus SPIN's title: same ids, outputs, attachments
    const original = JSON.parse(text);
    const exported = JSON.parse(await exportText(nb.id));
    expect(exported.metadata.spin).toEqual({ title: 'From Jupyter' });
    delete exported.metadata.spin;
    expect(exported).toEqual(original);
  });

  it('exports the outputs of a verified SPIN run in place of the imported ones', async () => {
    const nbId = (await importFile(RICH)).json().id as string;
    const rt = await registerRuntime(admin);
    const { sid } = await openSession(admin, nbId, rt.id);
    const compiled = await admin.request('POST', `/api/v1/notebooks/${nbId}/compile`, {
      sid,
      cell: { id: 'run-1', type: 'python', source: 'print("a\\nb")' },
    });
    expect(compiled.statusCode).toBe(200);
    const outputs = [
      { output_type: 'stream' as const, name: 'stdout' as const, text: 'a\nb\n' },
      {
        output_type: 'display_data' as const,
        data: { 'text/html': '<p>one</p>\n<p>two</p>', 'application/json': { k: 'v\nw' } },
        metadata: {},
      },
    ];
    const program = {
      jti: compiled.json().jti,
      cell: 'run-1',
      sid,
      sub: admin.user.id,
      notebook: nbId,
    };
    const receipt = await makeReceipt(rt, program, outputs);
    expect((await admin.request('POST', '/api/v1/receipts', { receipt, outputs })).statusCode).toBe(
      200,
    );

    const a = await exportText(nbId);
    const cell = JSON.parse(a).cells.find((c: { id: string }) => c.id === 'run-1');
    // as nbformat writes them: text split into lines, JSON data left as JSON
    expect(cell.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: ['a\n', 'b\n'] },
      {
        output_type: 'display_data',
        data: { 'text/html': ['<p>one</p>\n', '<p>two</p>'], 'application/json': { k: 'v\nw' } },
        metadata: {},
      },
    ]);
    const again = await importFile(a);
    expect(await exportText(again.json().id)).toBe(a);
  });

  it('gives files from before nbformat 4.5 cell ids that do not clash', async () => {
    const res = await importFile({
      nbformat: 4,
      nbformat_minor: 2,
      metadata: {},
      cells: [
        { cell_type: 'markdown', metadata: {}, source: 'a' },
        {
          cell_type: 'code',
          id: 'cell-1',
          metadata: {},
          source: 'b',
          outputs: [],
          execution_count: null,
        },
      ],
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().cells.map((c: { id: string }) => c.id)).toEqual(['cell-2', 'cell-1']);
  });

  describe('refuses malformed or hostile files and creates nothing', () => {
    const cell = (id: string) => ({ id, cell_type: 'markdown', metadata: {}, source: 'x' });
    const cases: [string, () => string | object, number, string][] = [
      ['nbformat 3', () => ({ ...RICH, nbformat: 3 }), 422, 'notebook.ipynb_version_unsupported'],
      ['nbformat 5', () => ({ ...RICH, nbformat: 5 }), 422, 'notebook.ipynb_version_unsupported'],
      [
        'no nbformat',
        () => ({ metadata: {}, cells: [] }),
        422,
        'notebook.ipynb_version_unsupported',
      ],
      [
        'duplicate cell ids',
        () => ({ ...RICH, cells: [cell('a'), cell('b'), cell('a')] }),
        422,
        'notebook.ipynb_invalid',
      ],
      [
        'an output of an unknown type',
        () => ({
          ...RICH,
          cells: [
            {
              id: 'c',
              cell_type: 'code',
              metadata: {},
              source: '',
              execution_count: null,
              outputs: [{ output_type: 'banner', text: 'hi' }],
            },
          ],
        }),
        422,
        'notebook.ipynb_invalid',
      ],
      [
        'a cell id with a slash',
        () => ({ ...RICH, cells: [cell('../etc')] }),
        422,
        'notebook.ipynb_invalid',
      ],
      [
        'a NUL in a source',
        () => ({ ...RICH, cells: [{ ...cell('n'), source: 'a\u0000b' }] }),
        422,
        'notebook.ipynb_invalid',
      ],
      [
        'SPIN params the cell type refuses',
        () => ({
          ...RICH,
          cells: [
            {
              id: 's',
              cell_type: 'code',
              metadata: { spin: { cellType: 'shell', params: { output: 'xml' } } },
              source: 'ls',
              execution_count: null,
              outputs: [],
            },
          ],
        }),
        422,
        'notebook.ipynb_invalid',
      ],
      ['a JSON array', () => '[1,2,3]', 422, 'notebook.ipynb_invalid'],
      ['bad JSON', () => '{"nbformat": 4, "cells": [', 400, 'request.malformed_json'],
      [
        'deeply nested JSON',
        () =>
          `{"nbformat":4,"nbformat_minor":5,"cells":[],"metadata":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`,
        400,
        'request.too_deep',
      ],
      [
        'a 100 MB cell',
        () =>
          `{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"big","cell_type":"markdown","metadata":{},"source":"${'x'.repeat(100 * 1024 * 1024)}"}]}`,
        413,
        'request.too_large',
      ],
      [
        'a 2 MB cell (within the body limit, past the cell limit)',
        () => ({ ...RICH, cells: [{ ...cell('big'), source: 'x'.repeat(2_000_000) }] }),
        422,
        'notebook.ipynb_invalid',
      ],
    ];
    it.each(cases)('%s', async (_name, body, status, code) => {
      const before = await notebookCount();
      const res = await importFile(body());
      expect(res.statusCode).toBe(status);
      expect(res.json().error.code).toBe(code);
      expect(res.json().error.message).not.toBe('');
      expect(await notebookCount()).toBe(before);
    });
  });

  it('lets a viewer export but not import', async () => {
    const viewer = await addMember(t, 'viewer', ws);
    const before = await notebookCount();
    const res = await importFile(RICH, '', viewer);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('auth.permission_required');
    expect(await notebookCount()).toBe(before);
    const nbId = (await importFile(RICH)).json().id;
    const exported = await viewer.request('GET', `/api/v1/notebooks/${nbId}/export.ipynb`);
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-disposition']).toBe(
      'attachment; filename="Imported-notebook.ipynb"',
    );
  });
});
