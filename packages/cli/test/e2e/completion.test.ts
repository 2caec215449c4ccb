import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createNodeApi } from '@spin/client/node';
import { ADMIN, startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

/**
 * Issue 11 "Editing": completion in the cell editors as JupyterLab users expect it — Tab asks
 * the session's kernel (through the runtime), the popup lists its matches and accepting one
 * edits the cell; Esc closes the popup before it leaves edit mode; Shift+Tab shows the
 * kernel's documentation; `{{` in an integration cell lists template variables and secret
 * names; SQL cells complete keywords and their connection field the workspace's connections.
 */
let stack: StackFixture;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

/**
 * A person's pause before accepting: CodeMirror ignores Enter/Tab within 75 ms of the list
 * changing (`interactionDelay`), so a list that just updated is not accepted by mistake.
 */
const pause = () => page.waitForTimeout(150);

const popup = () => page.locator('.cm-tooltip-autocomplete');
/** The popup's item labelled `label` (a string: exactly; a RegExp: matching the whole label). */
const option = (label: string | RegExp) => {
  const re =
    typeof label === 'string'
      ? new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
      : new RegExp(`^(?:${label.source})$`);
  return popup()
    .locator('li')
    .filter({ has: page.locator('.cm-completionLabel', { hasText: re }) });
};

/** A cell's text as its editor shows it. */
async function sourceOf(cell: ReturnType<Page['locator']>): Promise<string> {
  return cell
    .locator('.cm-content')
    .evaluate((el) =>
      [...el.querySelectorAll('.cm-line')].map((l) => l.textContent ?? '').join('\n'),
    );
}

/** Whether keyboard focus is in the editor of `cell` (edit mode). */
async function editing(cell: ReturnType<Page['locator']>): Promise<boolean> {
  return cell.evaluate(
    (el) => !!document.activeElement?.closest('.cm-editor') && el.contains(document.activeElement),
  );
}

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('completion in cell editors', () => {
  it('Tab completes from the kernel; clicking an item accepts it', async () => {
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await page.getByTestId('new-notebook').click();
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    const cell = page.getByTestId('cell').first();
    await page.keyboard.type('import o'); // the new notebook's first cell is in edit mode
    await page.keyboard.press('Tab');
    await option('os').waitFor({ timeout: 30_000 });
    // the kernel's other matches are listed too
    expect(await popup().locator('.cm-completionLabel').allTextContents()).toEqual(
      expect.arrayContaining(['os', 'operator']),
    );
    await option('os').click();
    await expect.poll(() => popup().count()).toBe(0);
    expect(await sourceOf(cell)).toBe('import os');
    expect(await editing(cell)).toBe(true);
  });

  it('Esc closes the popup and stays in edit mode; Tab accepts the highlighted item', async () => {
    const cell = page.getByTestId('cell').first();
    await page.keyboard.press('Control+Enter'); // run it: the kernel now knows `os`
    await expect.poll(() => cell.getAttribute('data-status'), { timeout: 60_000 }).toBe('ok');
    await cell.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('os.pa');
    await page.keyboard.press('Tab');
    await option(/(os\.)?path/).waitFor({ timeout: 30_000 });
    await page.keyboard.press('Escape');
    await expect.poll(() => popup().count()).toBe(0);
    expect(await editing(cell)).toBe(true); // still editing: Esc only closed the list
    await page.keyboard.type('th.jo');
    await page.keyboard.press('Tab');
    await option(/(os\.path\.)?join/).waitFor({ timeout: 30_000 });
    await pause();
    await page.keyboard.press('Tab');
    await expect.poll(() => sourceOf(cell)).toBe('import os\nos.path.join');
    // with nothing before the cursor, Tab indents as before
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await popup().count()).toBe(0);
    expect(await sourceOf(cell)).toMatch(/^import os\nos\.path\.join\n +$/);
    // and a second Esc leaves edit mode for command mode
    await page.keyboard.press('Escape');
    expect(await editing(cell)).toBe(false);
  });

  it("Shift+Tab shows the kernel's documentation of the name at the cursor", async () => {
    const cell = page.getByTestId('cell').first();
    await cell.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('len');
    await page.keyboard.press('Shift+Tab');
    const tip = page.getByTestId('inspect-tooltip');
    await tip.waitFor({ timeout: 30_000 });
    expect(await tip.textContent()).toContain('Return the number of items');
    await page.keyboard.press('Escape');
    await expect.poll(() => tip.count()).toBe(0);
    expect(await editing(cell)).toBe(true);
  });

  it('{{ in a shell cell lists template variables and secret names; accepting closes the braces', async () => {
    // a secret in the notebook's workspace (its name only reaches the page)
    const api = createNodeApi(stack.spin.url);
    await api.login({ email: ADMIN.email, password: ADMIN.password });
    const [ws] = await api.listWorkspaces();
    await api.createSecret(ws!.id, {
      name: 'PG_PASSWORD',
      ref: { storeType: 'spin_store' },
      value: 'hunter2-not-shown',
    });
    await page.reload();
    await page.getByTestId('variables-toggle').click();
    await page.getByTestId('variable-add-static').click();
    await page.getByTestId('variable-0').getByTestId('variable-name').fill('service');
    await page.getByTestId('add-cell-shell').last().click();
    const shell = page.locator('[data-testid="cell"][data-cell-type="shell"]').first();
    await shell.locator('.cm-content').click();
    await page.keyboard.type('echo {{ ser');
    await option('service').waitFor({ timeout: 10_000 });
    expect(await option('service').locator('.cm-completionDetail').textContent()).toBe(
      'template variable',
    );
    await pause();
    await page.keyboard.press('Enter');
    await expect.poll(() => sourceOf(shell)).toBe('echo {{ service }}');
    await page.keyboard.type(' {{secret:');
    await option('secret:PG_PASSWORD').waitFor({ timeout: 10_000 });
    expect(await popup().textContent()).not.toContain('hunter2');
    await pause();
    await page.keyboard.press('Tab');
    await expect.poll(() => sourceOf(shell)).toBe('echo {{ service }} {{secret:PG_PASSWORD}}');
  });

  it("a SQL cell completes its dialect's keywords, and its connection field the workspace's connections", async () => {
    const api = createNodeApi(stack.spin.url);
    await api.login({ email: ADMIN.email, password: ADMIN.password });
    const [ws] = await api.listWorkspaces();
    await api.createConnection(ws!.id, { name: 'warehouse', processor: 'postgres', config: {} });
    await page.getByTestId('add-cell-postgres').last().click();
    const sql = page.locator('[data-testid="cell"][data-cell-type="postgres"]').first();
    await sql.locator('.cm-content').click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('sel');
    await page.keyboard.press('Tab');
    await option('SELECT').waitFor({ timeout: 10_000 });
    await option('SELECT').click();
    await expect.poll(() => sourceOf(sql)).toBe('SELECT');
    await sql.getByTestId('cell-settings-toggle').click();
    const choices = sql.getByTestId('cell-connection-choices').locator('option');
    await expect
      .poll(() => choices.evaluateAll((os) => os.map((o) => o.getAttribute('value'))))
      .toEqual(['warehouse']);
    expect(
      await sql.getByTestId('cell-connection').evaluate((el) => (el as HTMLInputElement).list?.id),
    ).toBe(await sql.getByTestId('cell-connection-choices').getAttribute('id'));
  });

  it('a PromQL cell completes functions on Tab', async () => {
    await page.getByTestId('add-cell-prometheus').last().click();
    const promql = page.locator('[data-testid="cell"][data-cell-type="prometheus"]').first();
    await promql.locator('.cm-content').click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('sum(ra');
    await page.keyboard.press('Tab');
    await option('rate').waitFor({ timeout: 10_000 });
    await option('rate').click();
    await expect.poll(() => sourceOf(promql)).toBe('sum(rate');
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
