import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
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

describe('API tokens in the web UI', () => {
  it('creates an agent token, shows its secret once, lists it and revokes it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: stack.spin.url,
    });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);

    await page.getByTestId('nav-tokens').click();
    expect(new URL(page.url()).pathname).toBe('/tokens');
    await page.getByTestId('no-tokens').waitFor();

    await page.getByTestId('token-name').fill('incident bot');
    await page.getByTestId('token-kind').selectOption('agent');
    await page.getByTestId('token-expiry').selectOption('7');
    await page.getByTestId('token-create').click();

    const secret = (await page.getByTestId('token-secret-value').textContent())!.trim();
    expect(secret).toMatch(/^spin_agt_[\w-]{43}$/);
    await page.getByTestId('token-copy').click();
    await expect.poll(() => page.getByTestId('token-copy').textContent()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    const row = page.getByTestId('token-row');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('incident bot');
    expect(await row.textContent()).toContain('agent (agent)');
    expect(await row.getAttribute('data-state')).toBe('active');

    // The secret works as a bearer token, acting with the agent role.
    const workspaces = await fetch(`${stack.spin.url}/api/v1/workspaces`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(workspaces.status).toBe(200);
    expect((await workspaces.json())[0].role).toBe('agent');

    // Once dismissed, the secret is nowhere on the page, and a reload does not bring it back.
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await expect.poll(() => row.count()).toBe(1);
    expect(await page.content()).not.toContain(secret);

    await page.getByTestId('token-revoke').click();
    await expect.poll(() => row.getAttribute('data-state')).toBe('revoked');
    const refused = await fetch(`${stack.spin.url}/api/v1/workspaces`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe('token.revoked');
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
