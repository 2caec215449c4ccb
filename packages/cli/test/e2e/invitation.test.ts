import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { createNodeApi } from '@spin/client/node';
import type { ServerApi } from '@spin/client';
import { ADMIN, startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

let stack: StackFixture;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await stack?.close();
});

/** A browser context of its own: its own cookies and storage, like a second person's browser. */
async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  contexts.push(context);
  return context;
}

/**
 * A second workspace, created in the database of the running server. The workspace API and its
 * UI come with the workspaces part of issue 7; this test is about members and invitations.
 */
async function createWorkspace(id: string, name: string): Promise<void> {
  await stack.spin.server.services.database.db.execute(
    `insert into workspaces (id, name) values ('${id}', '${name}')`,
  );
}

const GUEST = { name: 'Grace Guest', email: 'grace@example.test', password: 'grace-password-42' };

describe('acceptance 3: an invited second user in a second browser context', () => {
  it('accepts, sees only the granted workspace read-only, and is refused elsewhere', async () => {
    // ---- the first user signs up in their browser
    const adminPage = await (await newContext()).newPage();
    const adminErrors: string[] = [];
    adminPage.on('pageerror', (e) => adminErrors.push(e.message));
    await adminPage.goto(stack.spin.url);
    await signUpInBrowser(adminPage);
    await expect.poll(() => adminPage.getByTestId('current-user').textContent()).toContain('Ada');

    // a second workspace with a notebook, and a notebook in the default one
    await createWorkspace('ws_payments', 'Payments');
    const adminApi: ServerApi = createNodeApi(stack.spin.url);
    await adminApi.login({ email: ADMIN.email, password: ADMIN.password });
    const granted = await adminApi.createNotebook({
      title: 'Payments runbook',
      workspaceId: 'ws_payments',
      cells: [{ id: 'c1', type: 'python', source: 'print("refunds ok")' }],
    });
    const secret = await adminApi.createNotebook({
      title: 'Default incident notes',
      cells: [{ id: 'c1', type: 'markdown', source: '# root cause: private' }],
    });

    // ---- the admin invites a viewer to Payments from the Members page
    await adminPage.getByTestId('nav-members').click();
    await adminPage.getByTestId('members-workspace').selectOption({ label: 'Payments' });
    await expect.poll(() => adminPage.url()).toContain('/workspaces/ws_payments/members');
    await adminPage.getByTestId('invite-role').selectOption('viewer');
    await adminPage.getByTestId('invite-create').click();
    const link = await adminPage.getByTestId('invite-link').inputValue();
    expect(link).toMatch(new RegExp(`^${stack.spin.url}/invite/[A-Za-z0-9_-]{43}$`));
    await expect.poll(() => adminPage.getByTestId('pending-invitation').count()).toBe(1);

    // ---- the second user, in another browser context, opens the link and signs up
    const guestPage = await (await newContext()).newPage();
    const guestErrors: string[] = [];
    guestPage.on('pageerror', (e) => guestErrors.push(e.message));
    await guestPage.goto(link);
    await expect
      .poll(() => guestPage.getByTestId('invite-summary').textContent())
      .toMatch(/Ada Admin invited you to Payments as viewer/);
    await guestPage.getByTestId('invite-name').fill(GUEST.name);
    await guestPage.getByTestId('invite-email').fill(GUEST.email);
    await guestPage.getByTestId('invite-password').fill(GUEST.password);
    await guestPage.getByTestId('invite-submit').click();

    // signed in, on the notebook list of the granted workspace only
    await expect.poll(() => guestPage.getByTestId('current-user').textContent()).toContain('Grace');
    await expect
      .poll(() => guestPage.getByTestId('notebook-link').allTextContents())
      .toEqual([expect.stringContaining('Payments runbook')]);
    expect(await guestPage.content()).not.toContain('Default incident notes');

    // the Members page offers only Payments, where the guest is a viewer with no admin tools
    await guestPage.getByTestId('nav-members').click();
    await expect.poll(() => guestPage.getByTestId('my-role').textContent()).toBe('viewer');
    const offered = await guestPage
      .getByTestId('members-workspace')
      .locator('option')
      .allTextContents();
    expect(offered).toEqual(['Payments']);
    expect(await guestPage.getByTestId('invite-create').count()).toBe(0);
    expect(await guestPage.getByTestId('member-remove').count()).toBe(0);

    // ---- the granted notebook opens read-only: no run, add or delete controls, no typing
    await guestPage.goto(`${stack.spin.url}/notebooks/${granted.id}`);
    await expect.poll(() => guestPage.getByTestId('read-only-notice').count()).toBe(1);
    expect(await guestPage.getByTestId('cell').count()).toBe(1);
    expect(await guestPage.getByTestId('run-cell').count()).toBe(0);
    expect(await guestPage.getByTestId('delete-cell').count()).toBe(0);
    expect(await guestPage.locator('[data-testid^="add-cell-"]').count()).toBe(0);
    const editor = guestPage.getByTestId('cell').first().locator('.cm-content');
    expect(await editor.getAttribute('contenteditable')).toBe('false');
    await editor.click();
    await guestPage.keyboard.type('import os; os.remove("/")');
    await guestPage.keyboard.press('Shift+Enter');
    expect(await editor.textContent()).toBe('print("refunds ok")');
    // and nothing reached the server: the stored notebook is unchanged
    const stored = await adminApi.getNotebook(granted.id);
    expect(stored.version).toBe(granted.version);
    expect(stored.cells.map((c) => c.source)).toEqual(['print("refunds ok")']);

    // ---- the other workspace's notebook by URL: a clear error page, none of its data
    await guestPage.goto(`${stack.spin.url}/notebooks/${secret.id}`);
    await expect
      .poll(() => guestPage.getByTestId('notebook-error').textContent())
      .toContain('This notebook is not available');
    expect(await guestPage.getByTestId('notebook-error').textContent()).toContain(
      'notebook.not_found',
    );
    expect(await guestPage.content()).not.toContain('root cause: private');
    expect(await guestPage.getByTestId('cell').count()).toBe(0);

    // ---- the admin sees the guest as a viewer and no pending invitation left
    await adminPage.reload();
    await expect
      .poll(() =>
        adminPage
          .locator(`[data-testid="member-row"][data-email="${GUEST.email}"]`)
          .getByTestId('member-role')
          .inputValue(),
      )
      .toBe('viewer');
    await expect.poll(() => adminPage.getByTestId('no-pending-invitations').count()).toBe(1);

    // ---- the same link a second time, in a third context, is refused clearly
    const latePage = await (await newContext()).newPage();
    await latePage.goto(link);
    await expect
      .poll(() => latePage.getByTestId('invite-invalid').textContent())
      .toContain('already been used');

    expect(adminErrors).toEqual([]);
    expect(guestErrors).toEqual([]);
  });
});
