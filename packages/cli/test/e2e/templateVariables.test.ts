import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

// Issue 9: template variables in a real browser — defined in the notebook's Variables panel,
// asked for when a session starts, used by a shell cell, changed later in the panel.
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

const SERVICE = `checkout "api" $HOME {{x}}`;

async function shellCellOutput(page: Page): Promise<string> {
  const cell = page.locator('[data-testid="cell"][data-cell-type="shell"]').first();
  await cell.locator('.cm-content').click();
  await page.keyboard.press('Control+Enter');
  await expect
    .poll(() => cell.getAttribute('data-status'), { timeout: 60_000 })
    .toMatch(/^(ok|error)$/);
  return (await cell.getByTestId('cell-output').textContent()) ?? '';
}

describe('template variables in the browser', () => {
  it('defines an input and a Python variable, asks for the value at session start, and a shell cell uses both', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await page.getByTestId('new-notebook').click();
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');

    // Define the variables in the panel: an input `service` and a Python `answer`.
    await page.getByTestId('variables-toggle').click();
    await page.getByTestId('variable-add-input').click();
    const input = page.getByTestId('variable-0');
    await input.getByTestId('variable-name').fill('service');
    await page.getByTestId('variable-add-code_python').click();
    const py = page.getByTestId('variable-1');
    await py.getByTestId('variable-name').fill('answer');
    await py.getByTestId('variable-code').fill('x = 6\nx * 7');
    expect(await page.getByTestId('variables-error').count()).toBe(0);

    // A shell cell that uses them.
    await page.getByTestId('add-cell-shell').last().click();
    const shell = page.locator('[data-testid="cell"][data-cell-type="shell"]').first();
    await shell.locator('.cm-content').click();
    await page.keyboard.insertText('echo "svc=[{{service}}]" answer={{answer}}');
    await expect
      .poll(() => page.getByTestId('save-status').textContent(), { timeout: 30_000 })
      .toBe('Saved');

    // A new page load starts the session: the form asks for the input value.
    await page.reload();
    const form = page.getByTestId('session-variables-form');
    await form.waitFor({ timeout: 30_000 });
    await form.getByTestId('session-variable-service').fill(SERVICE);
    await form.getByTestId('session-variables-start').click();
    await form.waitFor({ state: 'detached', timeout: 60_000 });

    expect(await shellCellOutput(page)).toContain(`svc=[${SERVICE}] answer=42`);

    // The panel shows this session's values, and changing one re-resolves.
    await page.getByTestId('variables-toggle').click();
    const values = page.getByTestId('variable-session-value');
    await expect.poll(() => values.nth(0).textContent()).toContain(SERVICE);
    await expect.poll(() => values.nth(1).textContent()).toContain('42');
    await page.getByTestId('variables-value-service').fill('billing');
    await page.getByTestId('variables-apply').click();
    await expect.poll(() => values.nth(0).textContent(), { timeout: 30_000 }).toContain('billing');
    expect(await shellCellOutput(page)).toContain('svc=[billing] answer=42');

    // A reload of the same session keeps its values without asking again.
    await page.reload();
    await page.getByTestId('cell').first().waitFor();
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');
    expect(await page.getByTestId('session-variables-form').count()).toBe(0);
    expect(await shellCellOutput(page)).toContain('svc=[billing] answer=42');
    expect(pageErrors).toEqual([]);
  });
});
