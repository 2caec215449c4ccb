import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createNodeApi } from '@spin/client/node';
import { ADMIN, startStack, type StackFixture } from '../fixtures.js';
import { seriousViolations } from './axe.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

/**
 * Every page of the web app in a real browser (issue 11 acceptances 1 and 4): each is scanned
 * with axe-core (no serious or critical violations), must log no console errors, and is saved as
 * a screenshot in docs/screenshots/.
 */
const SHOTS = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));

let stack: StackFixture;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await stack?.close();
});

interface Watched {
  page: Page;
  errors: string[];
}

/** A page in a fresh context that records page errors and console errors. */
async function newPage(): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  return { page, errors };
}

/** What each page got wrong: its serious axe violations and console errors. */
const findings: Record<string, string[]> = {};

/** Scan, check the console, and screenshot the page as it is now. */
async function checkPage(w: Watched, name: string): Promise<void> {
  // the page has drawn its heading and nothing still says it is loading (some pages poll, so
  // the network never goes idle)
  await w.page.locator('h1').first().waitFor();
  await expect.poll(() => w.page.getByText(/^Loading/).count()).toBe(0);
  const problems = [...(await seriousViolations(w.page)), ...w.errors.splice(0)];
  if (problems.length > 0) findings[name] = problems;
  await w.page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

describe('every page is accessible and error-free', () => {
  it('sign-up, login, the app pages, a notebook with outputs, and an invitation', async () => {
    // ---- sign-up (the first run) and then every page of the signed-in app
    const admin = await newPage();
    const page = admin.page;
    await page.goto(stack.spin.url);
    await page.getByTestId('signup-name').waitFor();
    await checkPage(admin, 'sign-up');
    await signUpInBrowser(page);
    await expect.poll(() => page.getByTestId('current-user').textContent()).toContain('Ada');

    const api = createNodeApi(stack.spin.url);
    await api.login({ email: ADMIN.email, password: ADMIN.password });
    const [workspace] = await api.listWorkspaces();
    const notebook = await api.createNotebook({
      title: 'Disk check',
      workspaceId: workspace!.id,
      cells: [
        {
          id: 'intro',
          type: 'markdown',
          source: '# Disk check\n\n| host | used |\n|---|---|\n| db-1 | 81% |',
        },
        { id: 'py', type: 'python', source: 'print("disk ok")\n{"db-1": 0.81}' },
        {
          id: 'df',
          type: 'python',
          source:
            'import pandas as pd\npd.DataFrame({"host": ["db-1", "db-2"], "used": [0.81, 0.42]})',
        },
        { id: 'err', type: 'python', source: 'raise ValueError("disk \\"db-3\\" not found")' },
      ],
    });
    await api.createNotebook({ title: 'Runbook: restart api', workspaceId: workspace!.id });
    await api.createToken({
      name: 'ci',
      kind: 'personal',
      workspaceId: workspace!.id,
      expiresInDays: 30,
    });
    const invitation = await api.members.invite(workspace!.id, { role: 'viewer' });

    await page.reload(); // the list was fetched before the API made these notebooks
    await page.getByText('Runbook: restart api').waitFor();
    await checkPage(admin, 'notebooks');

    await page.goto(`${stack.spin.url}/notebooks/${encodeURIComponent(notebook.id)}`);
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');
    await page.getByTestId('run-all').click();
    const err = page.locator('[data-testid="cell"]').last();
    await expect.poll(() => err.getAttribute('data-status'), { timeout: 60_000 }).toBe('error');
    const cells = page.locator('[data-testid="cell"][data-cell-type="python"]');
    expect(await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).toEqual(
      ['ok', 'ok', 'error'],
    );
    await expect.poll(() => cells.first().textContent()).toContain('disk ok');
    await expect.poll(() => err.textContent()).toContain('ValueError');
    await page.locator('.markdown table td').first().waitFor();
    await checkPage(admin, 'notebook');
    await page.getByRole('button', { name: /Shortcuts/ }).click();
    await page.locator('#shortcut-help').waitFor();
    await checkPage(admin, 'notebook-shortcuts');

    const pages: [nav: string, name: string, ready: string][] = [
      ['nav-workspaces', 'workspaces', '/workspaces'],
      ['nav-runtimes', 'runtimes', '/runtimes'],
      ['nav-integrations', 'integrations', '/integrations'],
      ['nav-connections', 'connections', '/connections'],
      ['nav-secrets', 'secrets', '/secrets'],
      ['nav-members', 'members', '/members'],
      ['nav-tokens', 'tokens', '/tokens'],
      ['nav-audit', 'audit', '/audit'],
    ];
    for (const [nav, name, path] of pages) {
      await page.getByTestId(nav).click();
      await expect.poll(() => new URL(page.url()).pathname.endsWith(path)).toBe(true);
      await checkPage(admin, name);
    }
    // the connection editor, with a processor's generated form
    await page.getByTestId('nav-connections').click();
    await page.getByTestId('connection-new').click();
    await page.getByTestId('connection-processor').selectOption('prometheus');
    await page.getByTestId('connection-config-url').waitFor();
    await checkPage(admin, 'connection-editor');

    // ---- login, signed out
    const visitor = await newPage();
    await visitor.page.goto(stack.spin.url);
    await visitor.page.getByTestId('login-email').waitFor();
    await checkPage(visitor, 'login');

    // ---- an invitation link, opened signed out
    const guest = await newPage();
    await guest.page.goto(invitation.url);
    await guest.page.getByText(workspace!.name).first().waitFor();
    await checkPage(guest, 'invitation');

    // every page was visited; none had a serious violation or a console error
    expect(findings).toEqual({});
  });
});
