import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import Database from 'better-sqlite3';
import { createNodeApi } from '@spin/client/node';
import { ADMIN, startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

/**
 * A SQL result as a data grid (issue 11): a SQLite cell returning 20,000 rows is sorted by a
 * header, filtered, has a column resized by mouse and keyboard, exported as CSV (the file's
 * content checked) and scrolled to its last row, with axe clean on the grid.
 */
const ROWS = 20_000;
const QUERY =
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${ROWS}) ` +
  "SELECT x AS id, 'host-' || (x % 7) AS host, " +
  'CASE WHEN x % 10 = 0 THEN NULL ELSE x * 0.25 END AS cpu, ' +
  `CASE WHEN x = 3 THEN 'say "hi", ok' WHEN x = 4 THEN 'two' || char(10) || 'lines' ELSE '' END AS note ` +
  'FROM c';
const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

let stack: StackFixture;
let browser: Browser;
let page: Page;
let workDir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'spin-e2e-grid-'));
  const dbFile = join(workDir, 'grid.db');
  new Database(dbFile).close();
  const home = join(workDir, 'stack');
  mkdirSync(join(home, 'runtime'), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(home, 'runtime', 'connections.json'),
    JSON.stringify({ connections: [{ name: 'griddb', type: 'sqlite', config: { path: dbFile } }] }),
    { mode: 0o600 },
  );
  stack = await startStack({ home });
  browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(stack.spin.url);
  await signUpInBrowser(page);
  await page.getByTestId('new-notebook').waitFor({ timeout: 30_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** The body row at `position` (0-based) of the grid's current order. */
const rowAt = (grid: Locator, position: number) =>
  grid.locator(`[role="row"][aria-rowindex="${position + 3}"]`);
const cellsOf = (row: Locator) => row.getByRole('cell').allTextContents();

describe('a SQL result as a data grid', () => {
  it('sorts, filters, resizes, exports CSV and scrolls to the last of 20,000 rows', async () => {
    const api = createNodeApi(stack.spin.url);
    await api.login(ADMIN);
    const [ws] = await api.listWorkspaces();
    const nb = await api.createNotebook({
      workspaceId: ws!.id,
      title: 'grid',
      cells: [{ id: 'q', type: 'sqlite', connection: 'griddb', source: QUERY }],
    });
    await page.goto(`${stack.spin.url}/notebooks/${nb.id}`);
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');
    const cell = page.getByTestId('cell').first();
    await cell.getByTestId('run-cell').click();
    await expect.poll(() => cell.getAttribute('data-status'), { timeout: 60_000 }).toBe('ok');
    const grid = cell.getByTestId('frame-table');
    const count = grid.getByTestId('grid-row-count');
    await expect.poll(() => count.textContent()).toBe('20,000 rows');
    expect(await grid.getByRole('columnheader').allTextContents()).toEqual([
      'id',
      'host',
      'cpu',
      'note',
    ]);
    // virtualised: a screenful of rows in the DOM, not 20,000
    expect(await grid.locator('.datagrid-body [role="row"]').count()).toBeLessThan(60);
    // numbers right-aligned, nulls shown as such
    expect(await cellsOf(rowAt(grid, 0))).toEqual(['1', 'host-1', '0.25', '']);
    const nullCell = rowAt(grid, 9).getByRole('cell').nth(2);
    expect(await nullCell.textContent()).toBe('null');
    expect(await nullCell.getAttribute('class')).toContain('datagrid-null');
    expect(
      await rowAt(grid, 0)
        .getByRole('cell')
        .nth(2)
        .evaluate((el) => getComputedStyle(el).textAlign),
    ).toBe('right');

    // sort: ascending, descending, none — with aria-sort saying so
    const cpu = grid.getByRole('columnheader', { name: 'cpu' });
    await cpu.getByRole('button').click();
    await expect.poll(() => cpu.getAttribute('aria-sort')).toBe('ascending');
    expect(await cellsOf(rowAt(grid, 0))).toEqual(['1', 'host-1', '0.25', '']);
    await cpu.getByRole('button').click();
    await expect.poll(() => cpu.getAttribute('aria-sort')).toBe('descending');
    await expect
      .poll(() => cellsOf(rowAt(grid, 0)))
      .toEqual(['19999', `host-${19999 % 7}`, '4999.75', '']);
    await cpu.getByRole('button').click();
    await expect.poll(() => cpu.getAttribute('aria-sort')).toBe('none');
    await expect.poll(() => cellsOf(rowAt(grid, 0))).toEqual(['1', 'host-1', '0.25', '']);

    // filter: all columns, then one column
    await grid.getByTestId('grid-filter').fill('SAY "HI"');
    await expect.poll(() => count.textContent()).toBe('1 of 20,000 rows');
    expect(await cellsOf(rowAt(grid, 0))).toEqual(['3', 'host-3', '0.75', 'say "hi", ok']);
    await grid.getByTestId('grid-filter').fill('');
    await grid.getByRole('searchbox', { name: 'Filter id' }).fill('1999');
    const matching = Array.from({ length: ROWS }, (_, i) => String(i + 1)).filter((s) =>
      s.includes('1999'),
    );
    await expect.poll(() => count.textContent()).toBe(`${matching.length} of 20,000 rows`);
    expect(await rowAt(grid, 1).getByRole('cell').first().textContent()).toBe(matching[1]);
    await grid.getByRole('searchbox', { name: 'Filter id' }).fill('');
    await expect.poll(() => count.textContent()).toBe('20,000 rows');

    // resize "host" by dragging its edge, then with the arrow keys
    const host = grid.getByRole('columnheader', { name: 'host' });
    const before = (await host.boundingBox())!.width;
    const edge = (await host.getByRole('separator').boundingBox())!;
    await page.mouse.move(edge.x + edge.width / 2, edge.y + edge.height / 2);
    await page.mouse.down();
    await page.mouse.move(edge.x + edge.width / 2 + 40, edge.y + edge.height / 2, { steps: 4 });
    await page.mouse.move(edge.x + edge.width / 2 + 80, edge.y + edge.height / 2, { steps: 4 });
    await page.mouse.up();
    await expect.poll(async () => Math.round((await host.boundingBox())!.width - before)).toBe(80);
    // the body cells follow the header
    expect(Math.round((await rowAt(grid, 0).getByRole('cell').nth(1).boundingBox())!.width)).toBe(
      Math.round(before + 80),
    );
    const separator = host.getByRole('separator', { name: 'Resize host' });
    await separator.focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect
      .poll(async () => Math.round((await host.boundingBox())!.width - before))
      .toBe(80 - 32);
    expect(Number(await separator.getAttribute('aria-valuenow'))).toBe(Math.round(before + 48));

    // CSV export of the full result: RFC 4180 quoting, nulls empty, CRLF
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      grid.getByTestId('grid-export-csv').click(),
    ]);
    expect(download.suggestedFilename()).toBe('result.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    const records = csv.split('\r\n');
    expect(records[0]).toBe('id,host,cpu,note');
    expect(records[1]).toBe('1,host-1,0.25,');
    expect(records[3]).toBe('3,host-3,0.75,"say ""hi"", ok"');
    expect(records[4]).toBe('4,host-4,1,"two\nlines"');
    expect(records[10]).toBe('10,host-3,,');
    expect(records[ROWS]).toBe(`${ROWS},host-${ROWS % 7},,`);
    expect(records).toHaveLength(ROWS + 2); // header, rows, '' after the last CRLF

    // scroll to the last row
    await grid.getByTestId('grid-scroll').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    const last = rowAt(grid, ROWS - 1);
    await last.waitFor();
    expect(await cellsOf(last)).toEqual([String(ROWS), `host-${ROWS % 7}`, 'null', '']);
    expect(await last.isVisible()).toBe(true);

    // axe: no serious or critical violations in the grid
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      type Axe = {
        run(ctx: string): Promise<{ violations: { id: string; impact: string | null }[] }>;
      };
      const axe = (window as unknown as { axe: Axe }).axe;
      return (await axe.run('[data-testid="frame-table"]')).violations;
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
