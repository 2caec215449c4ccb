import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createNodeApi } from '@spin/client/node';
import { ADMIN, startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';
import { acceptInvitation, cellAt, output, status } from './teamWalkSteps.js';

/**
 * Requesting a session's ownership in two browsers (issue 11 "Sessions"): an editor asks, the
 * owner sees the request and accepts, the editor becomes the owner — and the runtime honours it:
 * she interrupts the kernel — while the former owner sees her as the owner.
 */
const BEA = { name: 'Bea Editor', email: 'bea@example.test', password: 'bea-password-42' };

let stack: StackFixture;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await stack?.close();
});

async function personPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return page;
}

const connected = (page: Page) =>
  expect
    .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
    .toContain('connected');

describe('request ownership of a session', () => {
  it('B requests, A accepts: B owns the session and can interrupt; A sees B as owner', async () => {
    const ada = await personPage();
    await ada.goto(stack.spin.url);
    await signUpInBrowser(ada);
    await expect.poll(() => ada.getByTestId('current-user').textContent()).toContain('Ada');
    await ada.getByTestId('nav-members').click();
    await ada.getByTestId('invite-role').selectOption('editor');
    await ada.getByTestId('invite-create').click();
    const link = await ada.getByTestId('invite-link').inputValue();
    const bea = await personPage();
    await acceptInvitation(bea, link, BEA, 'editor');

    // Ada opens a notebook with a long cell, and so owns its session
    const api = createNodeApi(stack.spin.url);
    await api.login({ email: ADMIN.email, password: ADMIN.password });
    const notebook = await api.createNotebook({
      title: 'Shared',
      cells: [{ id: 'nap', type: 'python', source: 'import time\ntime.sleep(60)\nprint("slept")' }],
    });
    const notebookUrl = `${stack.spin.url}/notebooks/${notebook.id}`;
    await ada.goto(notebookUrl);
    await connected(ada);
    const adaPanel = ada.getByTestId('session-panel');
    await expect.poll(() => adaPanel.getByTestId('session-owner').textContent()).toBe('Owner: you');

    // Bea joins: she may run, not interrupt, and is offered to ask for the session
    await bea.goto(notebookUrl);
    await connected(bea);
    const beaPanel = bea.getByTestId('session-panel');
    await expect
      .poll(() => beaPanel.getByTestId('session-owner').textContent(), { timeout: 30_000 })
      .toBe('Owner: Ada Admin');
    const ask = beaPanel.getByRole('button', { name: 'Request ownership' });
    await ask.waitFor();
    expect(await beaPanel.getByTestId('session-take-over').count()).toBe(0);
    expect(await beaPanel.getByTestId('session-rights').getAttribute('data-can-interrupt')).toBe(
      'false',
    );
    await ask.click();
    await expect
      .poll(() => beaPanel.getByTestId('session-request-pending').textContent())
      .toBe('Requested… waiting for Ada Admin to answer.');
    expect(await ask.count()).toBe(0);

    // Ada sees the request appear (the panel re-reads the record) and accepts it
    const request = adaPanel.getByTestId('session-request');
    await expect.poll(() => request.count(), { timeout: 30_000 }).toBe(1);
    expect(await request.textContent()).toContain('Bea Editor asks for the session.');
    await adaPanel
      .getByRole('button', { name: "Accept Bea Editor's request: hand them the session" })
      .click();
    await expect
      .poll(() => adaPanel.getByTestId('session-owner').textContent())
      .toBe('Owner: Bea Editor');
    expect(await request.count()).toBe(0);
    const beaAvatar = adaPanel.locator('[data-testid="session-participant"][data-owner="true"]');
    expect(await beaAvatar.getAttribute('data-name')).toBe('Bea Editor');
    await expect.poll(() => ada.getByTestId('restart-kernel').isDisabled()).toBe(true);

    // Bea is the owner: told so, and the runtime lets her interrupt the kernel
    await expect
      .poll(() => beaPanel.getByTestId('session-owner').textContent(), { timeout: 30_000 })
      .toBe('Owner: you');
    expect(await beaPanel.getByTestId('session-request-pending').count()).toBe(0);
    expect(await beaPanel.getByTestId('session-rights').textContent()).toContain(
      'You own this session',
    );
    const cell = cellAt(bea, 0);
    await cell.getByTestId('run-cell').click();
    await expect.poll(() => status(cell), { timeout: 30_000 }).toBe('running');
    const interrupt = bea.getByTestId('interrupt-kernel');
    await expect.poll(() => interrupt.isDisabled(), { timeout: 30_000 }).toBe(false);
    await interrupt.click();
    await expect.poll(() => status(cell), { timeout: 30_000 }).toBe('interrupted');
    expect(await output(cell)).toContain('KeyboardInterrupt');
    expect(await output(cell)).not.toMatch(/^slept$/m); // what the cell prints had it finished
    // Ada watched it end the same way
    await expect.poll(() => status(cellAt(ada, 0)), { timeout: 30_000 }).toBe('interrupted');
    expect(pageErrors).toEqual([]);
  });

  it('a declined request leaves the owner and tells the requester', async () => {
    const [ada, bea] = contexts.map((c) => c.pages()[0]!) as [Page, Page];
    const adaPanel = ada.getByTestId('session-panel');
    const beaPanel = bea.getByTestId('session-panel');
    // now Ada asks Bea, and Bea declines
    await adaPanel.getByRole('button', { name: 'Request ownership' }).click();
    await expect
      .poll(() => beaPanel.getByTestId('session-request').count(), { timeout: 30_000 })
      .toBe(1);
    await beaPanel
      .getByRole('button', { name: "Decline Ada Admin's request for the session" })
      .click();
    await expect
      .poll(() => adaPanel.getByTestId('session-request-outcome').textContent(), {
        timeout: 30_000,
      })
      .toBe('Bea Editor declined your request for the session.');
    expect(await adaPanel.getByTestId('session-owner').textContent()).toBe('Owner: Bea Editor');
    expect(await beaPanel.getByTestId('session-owner').textContent()).toBe('Owner: you');
    expect(pageErrors).toEqual([]);
  });
});
