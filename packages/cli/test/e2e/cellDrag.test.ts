import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, signedUpApi, startStack, type StackFixture } from '../fixtures.js';
import { launchChromium } from './browserFixtures.js';

/**
 * Reordering cells by dragging their handle (JupyterLab's habit), in a real browser: the drop
 * indicator shows where the cell lands, the order changes, is saved like any move and survives
 * a reload; the handle's keyboard alternative moves a cell too.
 */
let stack: StackFixture;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const cells = () => page.getByTestId('cell');
const cell = (i: number) => cells().nth(i);
/** Each cell's source as shown. */
const sources = () =>
  cells().evaluateAll((els) =>
    els.map((el) =>
      [...el.querySelectorAll('.cm-content .cm-line')].map((l) => l.textContent).join('\n'),
    ),
  );
const saved = () =>
  expect
    .poll(() => page.getByTestId('save-status').textContent(), { timeout: 30_000 })
    .toBe('Saved');

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('drag a cell to reorder the notebook', () => {
  it('drags cell 3 above cell 1, showing where it lands; the order survives a reload', async () => {
    const api = await signedUpApi(stack);
    const notebook = await api.createNotebook({
      title: 'Reorder',
      cells: [
        { id: 'one', type: 'python', source: 'one = 1' },
        { id: 'two', type: 'python', source: 'two = 2' },
        { id: 'three', type: 'python', source: 'three = 3' },
      ],
    });
    await page.goto(stack.spin.url);
    await page.getByTestId('login-email').fill(ADMIN.email);
    await page.getByTestId('login-password').fill(ADMIN.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('current-user').waitFor();
    await page.goto(`${stack.spin.url}/notebooks/${notebook.id}`);
    await expect
      .poll(() => sources(), { timeout: 30_000 })
      .toEqual(['one = 1', 'two = 2', 'three = 3']);

    const handle = cell(2).getByTestId('cell-drag-handle');
    expect(await handle.getAttribute('aria-label')).toBe(
      'Move cell 3: drag, or press the up and down arrows',
    );
    const from = (await handle.boundingBox())!;
    const to = (await cell(0).boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + 40, { steps: 8 });
    await page.mouse.move(to.x + to.width / 2, to.y + 10, { steps: 4 });
    // the indicator shows the drop place: before cell 1
    const indicator = page.getByTestId('cell-drop-indicator');
    await expect.poll(() => indicator.getAttribute('data-place')).toBe('before');
    expect(await indicator.getAttribute('data-target-id')).toBe('one');
    await page.mouse.up();
    await expect.poll(() => sources()).toEqual(['three = 3', 'one = 1', 'two = 2']);
    expect(await indicator.count()).toBe(0);
    await saved();
    // saved like any move: the server has the new order
    expect((await api.getNotebook(notebook.id)).cells.map((c) => c.id)).toEqual([
      'three',
      'one',
      'two',
    ]);

    await page.reload();
    await expect.poll(() => cells().count(), { timeout: 30_000 }).toBe(3);
    await expect.poll(() => sources()).toEqual(['three = 3', 'one = 1', 'two = 2']);
    expect(pageErrors).toEqual([]);
  });

  it('the handle moves its cell with the arrow keys too', async () => {
    await cell(0).getByTestId('cell-drag-handle').focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => sources()).toEqual(['one = 1', 'three = 3', 'two = 2']);
    await saved();
    await page.reload();
    await expect
      .poll(() => sources(), { timeout: 30_000 })
      .toEqual(['one = 1', 'three = 3', 'two = 2']);
    expect(pageErrors).toEqual([]);
  });
});
