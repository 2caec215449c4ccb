import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

// Issue 13 (P8): Run pressed before the page is connected to a runtime waits and runs, instead
// of failing with `client.no_runtime`. The runtime list is held back for 2 s so the cell is
// run while the page still has no session.
let stack: StackFixture;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('running before the page is connected', () => {
  it('waits for the session and runs the cell', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await page.getByTestId('new-notebook').waitFor();
    let held = 0;
    await page.route('**/api/v1/runtimes*', async (route) => {
      held++;
      await new Promise((r) => setTimeout(r, 2000));
      await route.continue();
    });
    await page.getByTestId('new-notebook').click();
    await expect.poll(() => page.getByTestId('cell').count()).toBe(1);
    expect(await page.getByTestId('runtime-status').textContent()).not.toContain('connected');
    await page.keyboard.type('print(6*7)');
    await page.keyboard.press('Control+Enter');
    const cell = page.getByTestId('cell').first();
    await expect
      .poll(() => cell.getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('42');
    expect(held).toBeGreaterThan(0);
    expect(await cell.getByTestId('cell-run-error').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
