import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, signedUpApi, startStack, type StackFixture } from '../fixtures.js';
import { launchChromium } from './browserFixtures.js';

/**
 * Issue 7 in the browser: the UI hides what the server's `allowedActions` say the user may not
 * do (a viewer gets no Run, Delete or Add controls), and the Workspaces page creates a nested
 * workspace whose roles the viewer inherits.
 */
let stack: StackFixture;
let browser: Browser;
const VIEWER = { email: 'vera@example.test', password: 'viewer password 0123', name: 'Vera' };

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function logInAs(page: Page, who: { email: string; password: string }) {
  await page.goto(stack.spin.url);
  await page.getByTestId('login-email').fill(who.email);
  await page.getByTestId('login-password').fill(who.password);
  await page.getByTestId('login-submit').click();
  await expect.poll(() => page.getByTestId('current-user').count()).toBe(1);
}

describe('roles in the web UI', () => {
  it('a viewer sees no Run/Edit/Delete controls; workspaces nest and their roles are inherited', async () => {
    const api = await signedUpApi(stack);
    const [root] = await api.listWorkspaces();
    const nb = await api.createNotebook({
      title: 'Runbook',
      workspaceId: root!.id,
      cells: [{ id: 'c1', type: 'python', source: 'print(1)' }],
    });
    await stack.spin.server.services.auth.createUser({
      ...VIEWER,
      workspaceId: root!.id,
      role: 'viewer',
    });

    // the admin creates "Ops" inside the default workspace on the Workspaces page
    const adminPage = await (await browser.newContext()).newPage();
    await logInAs(adminPage, ADMIN);
    await adminPage.getByTestId('nav-workspaces').click();
    await adminPage.getByTestId('workspace-name').fill('Ops');
    await adminPage.getByTestId('workspace-parent').selectOption(root!.id);
    await adminPage.getByTestId('workspace-create').click();
    await expect.poll(() => adminPage.getByTestId('workspace-row').count()).toBe(2);
    expect(await adminPage.getByTestId('workspace-row').nth(1).textContent()).toContain('↳ Ops');

    // the admin's notebook page has the controls
    await adminPage.goto(`${stack.spin.url}/notebooks/${nb.id}`);
    await expect.poll(() => adminPage.getByTestId('run-cell').count()).toBe(1);
    expect(await adminPage.getByTestId('delete-cell').count()).toBe(1);
    expect(await adminPage.getByTestId('read-only-notice').count()).toBe(0);

    // the viewer, in a second browser context, sees the notebook without them
    const viewerPage = await (await browser.newContext()).newPage();
    await logInAs(viewerPage, VIEWER);
    await viewerPage.goto(`${stack.spin.url}/notebooks/${nb.id}`);
    await expect.poll(() => viewerPage.getByTestId('read-only-notice').count()).toBe(1);
    expect(await viewerPage.getByTestId('read-only-notice').textContent()).toContain(
      'not edit or run',
    );
    expect(await viewerPage.getByTestId('cell').count()).toBe(1);
    expect(await viewerPage.getByTestId('run-cell').count()).toBe(0);
    expect(await viewerPage.getByTestId('delete-cell').count()).toBe(0);
    expect(await viewerPage.getByTestId('add-cell-bar').count()).toBe(0);
    expect(await viewerPage.locator('.cm-content').first().getAttribute('contenteditable')).toBe(
      'false',
    );

    // ...and is a viewer of the child workspace too, with no settings to change
    await viewerPage.getByTestId('nav-workspaces').click();
    await expect.poll(() => viewerPage.getByTestId('workspace-row').count()).toBe(2);
    const roles = await viewerPage.getByTestId('workspace-role').allTextContents();
    expect(roles).toEqual(['viewer', 'viewer']);
    expect(await viewerPage.getByTestId('workspace-settings').count()).toBe(0);
  });
});
