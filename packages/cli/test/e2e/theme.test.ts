import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createNodeApi } from '@spin/client/node';
import { ADMIN, startStack, type StackFixture } from '../fixtures.js';
import { seriousViolations } from './axe.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

/**
 * Light and dark themes (issue 11): the page follows the system's colour scheme until the user
 * picks one in the top bar; the choice survives a reload; in the dark theme every page — a
 * notebook with ANSI colours, a traceback, markdown, a table and highlighted code included —
 * passes axe's contrast checks.
 */
const SHOTS = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));
let stack: StackFixture;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const theme = (page: Page) => page.evaluate(() => document.documentElement.dataset.theme);
const background = (page: Page) =>
  page.evaluate(() => getComputedStyle(document.body).backgroundColor);

describe('themes', () => {
  it('follows a dark system, switches on request, and keeps the choice across reloads', async () => {
    const context = await browser.newContext({ colorScheme: 'dark' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(stack.spin.url);
    expect(await theme(page)).toBe('dark'); // set before the app ran: no light flash
    expect(await background(page)).toBe('rgb(20, 23, 28)');
    await signUpInBrowser(page);

    const toggle = page.getByTestId('theme-toggle');
    expect(await toggle.getAttribute('data-theme-choice')).toBe('system');
    await toggle.click(); // system → light
    expect(await toggle.getAttribute('data-theme-choice')).toBe('light');
    expect(await theme(page)).toBe('light');
    expect(await background(page)).toBe('rgb(246, 247, 249)');
    await page.reload();
    await toggle.waitFor();
    expect(await theme(page)).toBe('light'); // the choice beats the system's
    await toggle.click(); // light → dark
    expect(await theme(page)).toBe('dark');
    await toggle.click(); // dark → system (dark here)
    expect(await toggle.getAttribute('data-theme-choice')).toBe('system');
    expect(await theme(page)).toBe('dark');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('every colour in a notebook with outputs reads well in the dark theme (axe)', async () => {
    const context = await browser.newContext({
      colorScheme: 'dark',
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    const api = createNodeApi(stack.spin.url);
    await api.login({ email: ADMIN.email, password: ADMIN.password });
    const [workspace] = await api.listWorkspaces();
    const notebook = await api.createNotebook({
      title: 'Dark check',
      workspaceId: workspace!.id,
      cells: [
        {
          id: 'md',
          type: 'markdown',
          source: '# Disk\n\n| host | used |\n|---|---|\n| db-1 | `81%` |',
        },
        {
          id: 'ansi',
          type: 'python',
          // every ANSI colour a program may print, as text on the page
          source:
            'import sys\nfor c in list(range(30, 38)) + list(range(90, 98)):\n    print(f"\\x1b[{c}mcolour {c}\\x1b[0m")\nprint("\\x1b[38;5;28mgreen 28\\x1b[0m \\x1b[38;5;167mred 167\\x1b[0m")\nprint("warn", file=sys.stderr)',
        },
        { id: 'err', type: 'python', source: 'def f():\n    return 1 / 0\nf()' },
      ],
    });
    await page.goto(stack.spin.url);
    await page.getByTestId('login-email').fill(ADMIN.email);
    await page.getByTestId('login-password').fill(ADMIN.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('current-user').waitFor();
    await page.goto(`${stack.spin.url}/notebooks/${encodeURIComponent(notebook.id)}`);
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');
    await page.getByTestId('run-all').click();
    const err = page.getByTestId('cell').last();
    await expect.poll(() => err.getAttribute('data-status'), { timeout: 60_000 }).toBe('error');
    await expect.poll(() => err.textContent()).toContain('ZeroDivisionError');
    await page.locator('.markdown table td').first().waitFor();
    expect(await theme(page)).toBe('dark');
    // black on the dark page is a background colour, as white is on the light one: axe skips
    // nothing, so the palette is lightened for it too
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}notebook-dark.png`, fullPage: true });
    for (const nav of ['nav-runtimes', 'nav-connections', 'nav-audit']) {
      await page.getByTestId(nav).click();
      await page.locator('h1').first().waitFor();
      await expect.poll(() => page.getByText(/^Loading/).count()).toBe(0);
      expect(await seriousViolations(page), nav).toEqual([]);
    }
    await context.close();
  });
});
