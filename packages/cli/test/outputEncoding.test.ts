import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellInput, Output } from '@spin/protocol';
import type { NotebookSession, ServerApi } from '@spin/client';
import { openSession, signedUpApi, startStack, type StackFixture } from './fixtures.js';

let stack: StackFixture;
let api: ServerApi;
let session: NotebookSession;
let notebookId: string;

const cells: CellInput[] = [
  { id: 'nul', type: 'python', source: "print('done\\x00'); print('\\x00' * 3)" },
  // ipykernel cannot encode an unpaired surrogate (UnicodeEncodeError, "surrogates not
  // allowed"): the cell still ends and is audited, with whatever the kernel reported
  { id: 'surrogate', type: 'python', source: "print('\\ud800')" },
  // surrogateescape turns it into the byte 0xff, which arrives as U+FFFD
  { id: 'escaped', type: 'python', source: "import sys; sys.stdout.write('a\\udcff\\n')" },
  { id: 'shell', type: 'shell', source: "printf 'nul:\\000:end\\n'; printf '\\355\\240\\200\\n'" },
];

beforeAll(async () => {
  stack = await startStack();
  api = await signedUpApi(stack);
  notebookId = (await api.createNotebook({ title: 'bytes', cells })).id;
  session = await openSession(api, notebookId);
});
afterAll(async () => {
  session?.close();
  await stack?.close();
});

const text = (outputs: readonly Output[]) =>
  outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join('');

describe('outputs with NUL bytes and unpaired surrogates (issue 5 finding 3)', () => {
  it('are audited and stored exactly as they ran, and the audit chain verifies', async () => {
    const runs = [];
    for (const cell of cells) {
      const run = await session.run(cell);
      expect(await run.audited, cell.id).toBeGreaterThan(0);
      runs.push(run);
    }
    const [nul, surrogate, escaped, shell] = runs;
    expect(nul!.status).toBe('ok');
    expect(text(nul!.outputs)).toBe('done\u0000\n\u0000\u0000\u0000\n');
    expect(surrogate!.outputs.length).toBeGreaterThan(0);
    expect(text(escaped!.outputs)).toBe('a\ufffd\n');
    expect(text(shell!.outputs)).toContain('nul:\u0000:end\n');

    const stored = await api.getNotebook(notebookId);
    for (const run of runs) {
      const cell = stored.cells.find((c) => c.id === run.cellId)!;
      expect(cell.outputs, run.cellId).toEqual(run.outputs);
      expect(cell.lastRun?.jti, run.cellId).toBe(run.jti);
    }
    const audit = await api.audit({ limit: 1000 });
    for (const run of runs) {
      expect(
        audit.filter((e) => e.action === 'cell.executed' && e.data.jti === run.jti),
        run.cellId,
      ).toHaveLength(1);
    }
    expect(await api.verifyAudit()).toMatchObject({ ok: true });
  });
});
