import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { CELL_TYPES, PROCESSOR_MANIFESTS, defaultResultVar } from '@spin/protocol';
import type { FixtureContext } from '../../../runtime/src/processors/conformance.js';
import { GENERATED_FIXTURES } from '../../../runtime/src/processors/fixtures.generated.js';
import { startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

// Issue 10, acceptance 5: the UI is drawn from the processor registry. This walks the registry
// rather than naming processors, so every manifest added later is checked here too.
let stack: StackFixture;
let browser: Browser;
let page: Page;
let workDir: string;
const contexts = new Map<string, FixtureContext>();

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'spin-e2e-fixtures-'));
  for (const f of GENERATED_FIXTURES) contexts.set(f.processor, await f.setup({ workDir }));
  // Each processor's fixture connection (its real server or emulator) is defined at the runtime,
  // in the runtime's connections file (docs/operations.md "Runtime connections").
  const home = join(workDir, 'stack');
  mkdirSync(join(home, 'runtime'), { recursive: true, mode: 0o700 });
  const connections = [...contexts].flatMap(([type, ctx]) =>
    ctx.connection ? [{ type, ...ctx.connection }] : [],
  );
  writeFileSync(join(home, 'runtime', 'connections.json'), JSON.stringify({ connections }), {
    mode: 0o600,
  });
  stack = await startStack({ home });
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(stack.spin.url);
  await signUpInBrowser(page);
  await page.getByTestId('new-notebook').waitFor({ timeout: 30_000 });
}, 300_000); // one real server or emulator per processor, then the stack

afterAll(async () => {
  await browser?.close();
  for (const ctx of contexts.values()) await ctx.teardown?.();
  await stack?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function cellAt(index: number): Locator {
  return page.getByTestId('cell').nth(index);
}

/** Replace the cell's source (a new cell may start with its type's default source). */
async function typeInCell(cell: Locator, text: string) {
  await cell.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

/** Set one parameter through the generated form, whatever input it drew for it. */
async function fillParam(cell: Locator, key: string, value: unknown) {
  const input = cell.getByTestId(`params-form-${key}`);
  const tag = await input.evaluate(
    (el) => `${el.tagName.toLowerCase()}:${el.getAttribute('type') ?? ''}`,
  );
  if (tag.startsWith('select')) await input.selectOption(String(value));
  else if (tag === 'input:checkbox') await input.setChecked(Boolean(value));
  else if (tag.startsWith('div')) {
    const entries = Object.entries(value as Record<string, string>);
    for (const [i, [k, v]] of entries.entries()) {
      await cell.getByTestId(`params-form-${key}-add`).click();
      await cell.getByTestId(`params-form-${key}-name-${i}`).fill(k);
      await cell.getByTestId(`params-form-${key}-value-${i}`).fill(v);
    }
  } else await input.fill(Array.isArray(value) ? value.join(', ') : String(value));
}

async function waitForStatus(cell: Locator, status: string | RegExp) {
  await expect.poll(() => cell.getAttribute('data-status'), { timeout: 60_000 }).toMatch(status);
}

describe('the processor registry in a real browser', () => {
  it('lists every integration with a connection form drawn from its config and secrets schemas', async () => {
    await page.getByTestId('nav-integrations').click();
    for (const m of Object.values(PROCESSOR_MANIFESTS)) {
      const section = page.getByTestId(`integration-${m.id}`);
      await expect.poll(() => section.count()).toBe(1);
      expect(await section.getAttribute('data-cell-type')).toBe(m.cellType);
      const form = section.getByTestId(`connection-form-${m.id}`);
      const expected = [
        ...Object.keys(m.configSchema.shape),
        ...Object.keys(m.secretsSchema.shape),
      ];
      expect(await form.getAttribute('data-fields')).toBe(expected.join(','));
      for (const key of Object.keys(m.configSchema.shape)) {
        expect(await form.getByTestId(`connection-config-${m.id}-${key}`).count()).toBe(1);
      }
      for (const key of Object.keys(m.secretsSchema.shape)) {
        const input = form.getByTestId(`connection-secrets-${m.id}-${key}`);
        expect(await input.getAttribute('type')).toBe('password');
      }
      if (expected.length === 0) expect(await form.getByTestId('connection-none').count()).toBe(1);
    }
  });

  it('offers every cell type, draws each parameter form, and runs a cell of every processor', async () => {
    await page.getByTestId('nav-home').click();
    await page.getByTestId('new-notebook').click();
    await expect.poll(() => page.getByTestId('cell').count()).toBe(1);
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent())
      .toContain('connected');
    const bar = page.getByTestId('add-cell-bar').last();
    for (const t of CELL_TYPES) expect(await bar.getByTestId(`add-cell-${t.type}`).count()).toBe(1);

    const ran: string[] = [];
    for (const m of Object.values(PROCESSOR_MANIFESTS)) {
      const ctx = contexts.get(m.id)!;
      await page.getByTestId('add-cell-bar').last().getByTestId(`add-cell-${m.cellType}`).click();
      const index = (await page.getByTestId('cell').count()) - 1;
      const cell = cellAt(index);
      expect(await cell.getAttribute('data-cell-type')).toBe(m.cellType);
      await cell.getByTestId('cell-settings-toggle').click();
      const form = cell.getByTestId('params-form');
      for (const key of Object.keys(m.paramsSchema.shape)) {
        expect(await form.getByTestId(`params-form-${key}`).count(), `${m.id} param ${key}`).toBe(
          1,
        );
      }
      for (const [key, value] of Object.entries(ctx.query.cell.params ?? {}))
        await fillParam(cell, key, value);
      if (ctx.connection) await cell.getByTestId('cell-connection').fill(ctx.connection.name);
      await typeInCell(cell, ctx.query.cell.source);
      await cell.getByTestId('run-cell').click();
      await waitForStatus(cell, 'ok');
      await expect
        .poll(() => cell.getByTestId('cell-verified').count(), { timeout: 30_000 })
        .toBe(1);
      ran.push((await cell.getAttribute('data-cell-id'))!);
    }

    // Python (the kernel cell type) sees each processor cell's result as a CellResult.
    await page.getByTestId('add-cell-bar').last().getByTestId('add-cell-python').click();
    const py = cellAt((await page.getByTestId('cell').count()) - 1);
    await typeInCell(
      py,
      `print([type(v).__name__ for v in [${ran.map(defaultResultVar).join(', ')}]])`,
    );
    await py.getByTestId('run-cell').click();
    await waitForStatus(py, 'ok');
    expect(await py.getByTestId('cell-output').textContent()).toBe(
      `[${ran.map(() => "'CellResult'").join(', ')}]\n`,
    );
  });
});

describe('shell cells with parameters, the notebook time range and results as data', () => {
  it('runs a jsonl shell cell as a table in the notebook time range, and keeps it all across a reload', async () => {
    await page.getByTestId('nav-home').click();
    await page.getByTestId('new-notebook').click();
    await expect.poll(() => page.getByTestId('cell').count()).toBe(1);
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent())
      .toContain('connected');
    const from = '2026-02-03T04:05:06.000Z';
    const to = '2026-02-03T05:05:06.000Z';
    await page.getByTestId('notebook-time-from').fill(from);
    await page.getByTestId('notebook-time-to').fill(to);

    await page.getByTestId('add-cell-bar').last().getByTestId('add-cell-shell').click();
    const cell = cellAt(1);
    await cell.getByTestId('cell-settings-toggle').click();
    await fillParam(cell, 'output', 'jsonl');
    await fillParam(cell, 'env', { GREETING: 'hi {{who}}' });
    await cell.getByTestId('cell-result-var').fill('tbl');
    await typeInCell(
      cell,
      'for i in 1 2 3; do echo "{\\"i\\": $i, \\"from\\": \\"$SPIN_TIME_FROM\\", \\"g\\": \\"$GREETING\\"}"; done',
    );
    // {{who}} is an earlier result: define it first in a cell above.
    await page.getByTestId('add-cell-bar').first().getByTestId('add-cell-shell').click();
    const who = cellAt(1);
    await who.getByTestId('cell-settings-toggle').click();
    await who.getByTestId('cell-result-var').fill('who');
    await typeInCell(who, 'echo "ops team"');
    await who.getByTestId('run-cell').click();
    await waitForStatus(who, 'ok');

    const tableCell = cellAt(2);
    await tableCell.getByTestId('run-cell').click();
    await waitForStatus(tableCell, 'ok');
    const table = tableCell.getByTestId('frame-table');
    await expect.poll(() => table.count()).toBe(1);
    expect(await table.getByRole('columnheader').allTextContents()).toEqual(['i', 'from', 'g']);
    const firstRow = table.locator('[role="row"][aria-rowindex="3"]');
    expect(await firstRow.getByRole('cell').allTextContents()).toEqual(['1', from, 'hi ops team']);
    expect(await tableCell.getByTestId('grid-row-count').textContent()).toBe('3 rows');

    await page.getByTestId('add-cell-bar').last().getByTestId('add-cell-python').click();
    const py = cellAt(3);
    await typeInCell(py, 'print(tbl.df["i"].sum(), tbl.rows[2]["g"])');
    await py.getByTestId('run-cell').click();
    await waitForStatus(py, 'ok');
    expect(await py.getByTestId('cell-output').textContent()).toBe('6 hi ops team\n');

    await expect
      .poll(() => page.getByTestId('save-status').textContent(), { timeout: 10_000 })
      .toBe('Saved');
    await page.reload();
    await expect
      .poll(() => cellAt(2).getByTestId('frame-table').count(), { timeout: 30_000 })
      .toBe(1);
    expect(await page.getByTestId('notebook-time-from').inputValue()).toBe(from);
    expect(await cellAt(2).getByTestId('cell-result-var-name').textContent()).toContain('tbl');
    await cellAt(2).getByTestId('cell-settings-toggle').click();
    expect(await cellAt(2).getByTestId('params-form-output').inputValue()).toBe('jsonl');
  });
});
