import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, signedUpApi, startStack, type StackFixture } from '../fixtures.js';
import { launchChromium } from './browserFixtures.js';
import { seriousViolations } from './axe.js';

/**
 * Issue 11 "notebook list with search and tags": the list searches titles and cells' source on
 * the server, filters by tag and by workspace, keeps the search in the address, and a notebook's
 * tags are edited under its title (saved at once; read-only for a viewer).
 */
let stack: StackFixture;
let browser: Browser;
const VIEWER = { email: 'vic@example.test', password: 'viewer password 0123', name: 'Vic' };

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function logIn(page: Page, who: { email: string; password: string }) {
  await page.goto(stack.spin.url);
  await page.getByTestId('login-email').fill(who.email);
  await page.getByTestId('login-password').fill(who.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').waitFor();
}

const titles = (page: Page) => page.locator('.notebook-link-title').allTextContents();

describe('the notebook list', () => {
  it('searches titles and cells, filters by tag and workspace; tags are edited on the notebook', async () => {
    const api = await signedUpApi(stack);
    const [root] = await api.listWorkspaces();
    const payments = await api.createWorkspace({ name: 'Payments' });
    const nb = async (title: string, source: string, workspaceId = root!.id) =>
      api.createNotebook({ title, workspaceId, cells: [{ id: 'c1', type: 'python', source }] });
    const disk = await nb('Disk full runbook', '!df -h /var | tail -1');
    const latency = await nb('Latency triage', 'print("p99 by route")');
    await nb('Payments errors', 'print("5xx")', payments.id);
    await stack.spin.server.services.auth.createUser({
      ...VIEWER,
      workspaceId: root!.id,
      role: 'viewer',
    });

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await logIn(page, ADMIN);
    await expect.poll(() => page.getByTestId('notebook-link').count()).toBe(3);

    // ---- search by a cell's content (not in any title), kept in the address across a reload
    await page.getByTestId('notebook-search').fill('df -h');
    await expect.poll(() => titles(page)).toEqual(['Disk full runbook']);
    expect(await page.getByTestId('notebook-count').textContent()).toBe('1 notebook');
    expect(new URL(page.url()).searchParams.get('q')).toBe('df -h');
    await page.reload();
    await expect.poll(() => titles(page)).toEqual(['Disk full runbook']);
    expect(await page.getByTestId('notebook-search').inputValue()).toBe('df -h');

    await page.getByTestId('notebook-search').fill('no such thing');
    await expect
      .poll(() => page.getByTestId('notebook-no-match').textContent())
      .toBe('No notebook matches “no such thing”.');
    await page.getByTestId('notebook-search').fill('');
    await expect.poll(() => page.getByTestId('notebook-link').count()).toBe(3);

    // ---- tags, edited under the notebook's title: Enter and a comma add, × removes
    await page.getByText('Latency triage').click();
    const input = page.getByTestId('notebook-tag-input');
    await input.fill('latency');
    await input.press('Enter');
    await input.fill('p1, oncall');
    await input.press('Enter');
    await expect
      .poll(() => page.getByTestId('notebook-tag').allTextContents())
      .toEqual(['#latency×', '#oncall×', '#p1×']);
    await expect
      .poll(async () => (await api.getNotebook(latency.id)).tags)
      .toEqual(['latency', 'oncall', 'p1']);
    await page.getByRole('button', { name: 'Remove tag p1' }).click();
    await expect
      .poll(async () => (await api.getNotebook(latency.id)).tags)
      .toEqual(['latency', 'oncall']);
    // tags are labels, not content: the notebook's version did not move
    expect((await api.getNotebook(latency.id)).version).toBe(latency.version);
    await page.reload();
    await expect
      .poll(() => page.getByTestId('notebook-tag').allTextContents())
      .toEqual(['#latency×', '#oncall×']);
    await api.setNotebookTags(disk.id, ['oncall']);

    // ---- the list shows them; a tag filters; the filter chip clears it
    await page.getByTestId('nav-home').click();
    await page.getByRole('button', { name: 'Show notebooks tagged oncall' }).first().waitFor();
    await page.getByRole('button', { name: 'Show notebooks tagged latency' }).click();
    await expect.poll(() => titles(page)).toEqual(['Latency triage']);
    expect(new URL(page.url()).searchParams.get('tag')).toBe('latency');
    await page.getByTestId('notebook-tag-filter').click();
    await expect.poll(() => page.getByTestId('notebook-link').count()).toBe(3);
    await page.getByRole('button', { name: 'Show notebooks tagged oncall' }).first().click();
    await expect
      .poll(async () => (await titles(page)).sort())
      .toEqual(['Disk full runbook', 'Latency triage']);
    await page.getByTestId('notebook-tag-filter').click();

    // ---- by workspace; a new notebook from a filtered list goes to that workspace
    await page.getByTestId('notebook-workspace-filter').selectOption(payments.id);
    await expect.poll(() => titles(page)).toEqual(['Payments errors']);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByTestId('new-notebook').click();
    await page.waitForURL(/\/notebooks\//);
    const created = await api.getNotebook(new URL(page.url()).pathname.split('/').pop()!);
    expect(created.workspaceId).toBe(payments.id);

    // ---- a viewer sees the tags but cannot change them
    const viewer = await (await browser.newContext()).newPage();
    await logIn(viewer, VIEWER);
    await viewer.goto(`${stack.spin.url}/notebooks/${latency.id}`);
    await expect
      .poll(() => viewer.getByTestId('notebook-tag').allTextContents())
      .toEqual(['#latency', '#oncall']);
    expect(await viewer.getByTestId('notebook-tag-input').count()).toBe(0);
    expect(await viewer.getByRole('button', { name: /Remove tag/ }).count()).toBe(0);

    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
