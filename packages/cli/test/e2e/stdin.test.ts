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
  await cell(page, index).locator('.cm-content').click();
  await page.keyboard.type(text);
}

describe('stdin in the notebook (issue 8, acceptance 6)', () => {
  it('shows an input box for input(), a password box for getpass(), and a dead kernel with a restart', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await page.getByTestId('new-notebook').click();
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');

    await typeInCell(page, 0, 'n = input("name? "); print("hi", n)');
    await page.keyboard.press('Shift+Enter');
    const box = cell(page, 0).getByTestId('cell-input-request');
    await box.waitFor({ timeout: 30_000 });
    expect(await box.textContent()).toContain('name?');
    // the toolbar's kernel indicator: busy while the cell waits for its input
    const kernel = page.getByTestId('kernel-status');
    await expect.poll(() => kernel.getAttribute('data-state')).toBe('busy');
    expect(await kernel.textContent()).toContain('python3');
    const field = box.locator('input');
    expect(await field.getAttribute('type')).toBe('text');
    await expect
      .poll(() => field.evaluate((el) => el === document.activeElement), { timeout: 5000 })
      .toBe(true);
    await page.keyboard.type('Lin');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => cell(page, 0).getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('hi Lin');
    expect(await cell(page, 0).getByTestId('cell-input-request').count()).toBe(0);
    await expect
      .poll(() => cell(page, 0).getAttribute('data-status'), { timeout: 10_000 })
      .toBe('ok');
    await expect.poll(() => kernel.getAttribute('data-state')).toBe('idle');

    const secret = 'Sw0rdfish-in-browser';
    await typeInCell(page, 1, 'import getpass; p = getpass.getpass("pw: "); print(len(p))');
    await page.keyboard.press('Shift+Enter');
    const pw = cell(page, 1).getByTestId('cell-input-request').locator('input');
    await pw.waitFor({ timeout: 30_000 });
    expect(await pw.getAttribute('type')).toBe('password');
    await pw.fill(secret);
    await pw.press('Enter');
    await expect
      .poll(() => cell(page, 1).getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain(String(secret.length));
    expect(await page.content()).not.toContain(secret);

    // a kernel killed from outside: the page says why and offers a restart that works
    const live = stack.spin.runtime.kernels
      .list()
      .filter((k) => k.alive && !k.sid.startsWith('pool:'));
    expect(live).toHaveLength(1);
    process.kill(live[0]!.pid!, 'SIGKILL');
    const banner = page.getByTestId('kernel-dead');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.textContent()).toContain('likely out of memory');
    expect(await kernel.getAttribute('data-state')).toBe('dead');
    await page.getByTestId('kernel-restart').click();
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => kernel.getAttribute('data-state'), { timeout: 30_000 }).toBe('idle');
    expect(
      stack.spin.runtime.kernels.list().filter((k) => k.alive && !k.sid.startsWith('pool:')),
    ).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });
});
