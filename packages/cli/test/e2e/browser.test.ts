import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

let stack: StackFixture;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

function cell(page: Page, index: number) {
  return page.getByTestId('cell').nth(index);
}

async function typeInCell(page: Page, index: number, text: string) {
  const editor = cell(page, index).locator('.cm-content');
  await editor.click();
  await page.keyboard.type(text);
}

describe('walking skeleton in a real browser', () => {
  it('signs up, runs python and shell cells, and keeps outputs across a reload', async () => {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(stack.spin.url);

    await signUpInBrowser(page);

    await page.getByTestId('new-notebook').click();
    await expect.poll(() => page.getByTestId('cell').count()).toBe(1);
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent())
      .toContain('connected');

    // 1. print(6*7) with Shift+Enter shows 42
    await typeInCell(page, 0, 'print(6*7)');
    await page.keyboard.press('Shift+Enter');
    await expect
      .poll(() => cell(page, 0).getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('42');
    await expect.poll(() => cell(page, 0).getAttribute('data-status')).toBe('ok');

    // 2. Shift+Enter moved focus to a new cell: raise an error, see ename/evalue and traceback
    await expect.poll(() => page.getByTestId('cell').count()).toBe(2);
    await page.keyboard.type('raise ValueError("boom")');
    await page.keyboard.press('Shift+Enter');
    await expect
      .poll(() => cell(page, 1).getAttribute('data-status'), { timeout: 30_000 })
      .toBe('error');
    const errText = (await cell(page, 1).getByTestId('cell-output').textContent()) ?? '';
    expect(errText).toContain('ValueError');
    expect(errText).toContain('boom');
    expect(errText).toContain('Traceback');

    // 3. a shell cell: echo hi; exit 3 shows hi and a failed status
    await page.getByTestId('add-cell-shell').last().click();
    const shellIndex = (await page.getByTestId('cell').count()) - 1;
    expect(await cell(page, shellIndex).getAttribute('data-cell-type')).toBe('shell');
    await typeInCell(page, shellIndex, 'echo hi; exit 3');
    await page.keyboard.press('Shift+Enter');
    await expect
      .poll(() => cell(page, shellIndex).getAttribute('data-status'), { timeout: 30_000 })
      .toBe('error');
    expect(await cell(page, shellIndex).getByTestId('cell-output').textContent()).toContain('hi');
    expect(await cell(page, shellIndex).getByTestId('cell-status').textContent()).toContain('3');

    // 4. reload: every output is still there (persisted from verified receipts)
    await page.reload();
    await expect
      .poll(() => cell(page, 0).getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('42');
    expect(await cell(page, 1).getByTestId('cell-output').textContent()).toContain('ValueError');
    expect(await cell(page, 1).getAttribute('data-status')).toBe('error');
    expect(await cell(page, shellIndex).getByTestId('cell-output').textContent()).toContain('hi');
    expect(await cell(page, shellIndex).getAttribute('data-status')).toBe('error');
    expect(await cell(page, shellIndex).getByTestId('cell-status').textContent()).toContain(
      'exit 3',
    );
    // every run's receipt was verified by the server and is shown as audited
    for (const i of [0, 1, shellIndex]) {
      await expect.poll(() => cell(page, i).getByTestId('cell-verified').count()).toBe(1);
    }
    expect(consoleErrors).toEqual([]);
  });
});
