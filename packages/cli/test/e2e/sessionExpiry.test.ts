import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createNodeApi } from '@spin/client/node';
import type { ServerApi } from '@spin/client';
import { ADMIN, startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';
import { seriousViolations } from './axe.js';

/**
 * Issue 11 "one 401 handler": whichever request finds the session gone — a page's query, a
 * mutation, the notebook's autosave — the app asks to sign in again in a dialog over the page,
 * which stays as it was: edits not yet saved are kept and saved once the user is back, and the
 * refused request had no effect on the server.
 */
let stack: StackFixture;
let browser: Browser;
let api: ServerApi;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function signInAgain(page: Page) {
  const dialog = page.getByTestId('signin-again');
  await dialog.getByTestId('login-email').fill(ADMIN.email);
  await dialog.getByTestId('login-password').fill(ADMIN.password);
  await dialog.getByTestId('login-submit').click();
  await dialog.waitFor({ state: 'detached' });
}

describe('the session ends under an open page', () => {
  it('asks to sign in again over the page and loses nothing typed', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await page.getByTestId('current-user').waitFor();
    api = createNodeApi(stack.spin.url);
    await api.login({ email: ADMIN.email, password: ADMIN.password });
    const nb = await api.createNotebook({
      title: 'Expiry',
      cells: [{ id: 'c1', type: 'python', source: 'print(1)' }],
    });

    // ---- the notebook: an edit whose autosave is refused stays on the page, then is saved
    await page.goto(`${stack.spin.url}/notebooks/${nb.id}`);
    const cell = page.getByTestId('cell').first();
    await cell.locator('.cm-content').click();
    await context.clearCookies(); // the session cookie is gone, as when it expires
    await page.keyboard.press('Control+End');
    await page.keyboard.type('  # kept');
    const dialog = page.getByTestId('signin-again');
    await dialog.waitFor();
    expect(await dialog.getByTestId('signin-again-note').textContent()).toContain(
      'Nothing on this page was lost',
    );
    expect(new URL(page.url()).pathname).toBe(`/notebooks/${nb.id}`);
    expect(await cell.locator('.cm-content').textContent()).toBe('print(1)  # kept');
    expect((await api.getNotebook(nb.id)).cells[0]!.source).toBe('print(1)'); // not saved
    expect(await seriousViolations(page)).toEqual([]);
    // it cannot be dismissed: Escape leaves it open
    await page.keyboard.press('Escape');
    expect(await dialog.isVisible()).toBe(true);

    await signInAgain(page);
    await expect
      .poll(async () => (await api.getNotebook(nb.id)).cells[0]!.source)
      .toBe('print(1)  # kept');
    expect(await cell.locator('.cm-content').textContent()).toBe('print(1)  # kept');

    // ---- a mutation: the refused token is not created
    await page.getByTestId('nav-tokens').click();
    await page.getByTestId('no-tokens').waitFor();
    await context.clearCookies();
    await page.getByTestId('token-name').fill('while signed out');
    await page.getByTestId('token-create').click();
    await dialog.waitFor();
    expect(await api.listTokens()).toEqual([]);
    await signInAgain(page);
    expect(new URL(page.url()).pathname).toBe('/tokens');
    // the form kept what was typed; creating it now works
    expect(await page.getByTestId('token-name').inputValue()).toBe('while signed out');
    await page.getByTestId('token-create').click();
    await page.getByTestId('token-secret-value').waitFor();
    expect((await api.listTokens()).map((t) => t.name)).toEqual(['while signed out']);

    // ---- a page's query
    await page.getByRole('button', { name: 'Done' }).click();
    await context.clearCookies();
    await page.getByTestId('nav-connections').click();
    await dialog.waitFor();
    await signInAgain(page);
    expect(new URL(page.url()).pathname).toBe('/connections');
    await page.getByTestId('connection-new').waitFor();

    // ---- signing in as someone else starts the app over for them
    await stack.spin.server.services.auth.createUser({
      email: 'bo@example.test',
      password: 'bo password 0123',
      name: 'Bo',
      workspaceId: (await api.listWorkspaces())[0]!.id,
      role: 'viewer',
    });
    await context.clearCookies();
    await page.getByTestId('nav-tokens').click();
    await dialog.waitFor();
    await dialog.getByTestId('login-email').fill('bo@example.test');
    await dialog.getByTestId('login-password').fill('bo password 0123');
    await dialog.getByTestId('login-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('current-user').textContent()).toContain('Bo');
    await page.getByTestId('no-tokens').waitFor(); // Bo's tokens, not the admin's

    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});
