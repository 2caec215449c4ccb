import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startRuntime, type RuntimeHandle } from '@spin/runtime';
import { startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

/** Well-formed, but not the second runtime's. */
const WRONG_FINGERPRINT = 'SHA256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff';

let stack: StackFixture;
let secondHome: string;
let second: RuntimeHandle;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  secondHome = await mkdtemp(path.join(os.tmpdir(), 'spin-second-runtime-'));
  second = await startRuntime({
    port: 0,
    host: '127.0.0.1',
    home: secondHome,
    logLevel: 'warn',
    banner: false,
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await second?.close();
  if (secondHome) await rm(secondHome, { recursive: true, force: true });
  await stack?.close();
});

function cell(page: Page, index: number) {
  return page.getByTestId('cell').nth(index);
}

async function fillPairForm(
  page: Page,
  values: { name: string; url: string; token: string; fingerprint: string },
) {
  await page.getByTestId('pair-name').fill(values.name);
  await page.getByTestId('pair-url').fill(values.url);
  await page.getByTestId('pair-token').fill(values.token);
  await page.getByTestId('pair-fingerprint').fill(values.fingerprint);
  await page.getByTestId('pair-submit').click();
}

describe('pairing a runtime from the web UI', () => {
  it('refuses a wrong token and fingerprint, pairs with the right ones, then runs a cell on it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(stack.spin.url);

    await signUpInBrowser(page);

    await page.getByTestId('nav-runtimes').click();
    expect(new URL(page.url()).pathname).toBe('/runtimes');
    await expect.poll(() => page.getByTestId('runtime-row').count()).toBe(1);
    expect(await page.getByTestId('runtime-row').first().textContent()).toContain(
      stack.spin.runtime.identity.fingerprint,
    );
    expect(await page.getByTestId('pair-token').getAttribute('type')).toBe('password');

    // 1. a client-side check: not an http(s) URL, nothing is sent
    await fillPairForm(page, {
      name: 'edge',
      url: 'ftp://127.0.0.1/',
      token: second.spinToken,
      fingerprint: '',
    });
    await expect
      .poll(() => page.getByTestId('pair-error').textContent())
      .toContain('client.invalid_url');
    expect(second.identity.paired).toBe(false);

    // 2. wrong SPIN_TOKEN: the runtime's own error code reaches the page (CORS on errors too)
    await fillPairForm(page, {
      name: 'edge',
      url: second.url,
      token: 'not-the-spin-token',
      fingerprint: '',
    });
    await expect
      .poll(() => page.getByTestId('pair-error').textContent())
      .toContain('auth.token_invalid');
    expect(second.identity.paired).toBe(false);
    expect(await page.getByTestId('runtime-row').count()).toBe(1);

    // 3. right token, wrong expected fingerprint: compared before pairing, so the runtime is
    //    never paired and the server does not register it
    await fillPairForm(page, {
      name: 'edge',
      url: second.url,
      token: second.spinToken,
      fingerprint: WRONG_FINGERPRINT,
    });
    await expect
      .poll(() => page.getByTestId('pair-error').textContent())
      .toContain('client.fingerprint_mismatch');
    expect(second.identity.paired).toBe(false);
    await page.reload();
    await expect.poll(() => page.getByTestId('runtime-row').count()).toBe(1);

    // 4. right token and fingerprint: registered, listed, fingerprint shown, token cleared
    await fillPairForm(page, {
      name: 'edge',
      url: second.url,
      token: second.spinToken,
      fingerprint: second.identity.fingerprint,
    });
    await expect
      .poll(() => page.getByTestId('pair-result').textContent())
      .toContain(second.identity.fingerprint);
    expect(await page.getByTestId('pair-token').inputValue()).toBe('');
    await expect.poll(() => page.getByTestId('runtime-row').count()).toBe(2);
    const edgeRow = page.locator(
      `[data-testid="runtime-row"][data-runtime-id="${second.identity.runtimeId}"]`,
    );
    expect(await edgeRow.textContent()).toContain(second.identity.fingerprint);
    expect(await edgeRow.textContent()).toContain(second.url);
    expect(await page.getByTestId('pair-error').count()).toBe(0);
    expect(second.identity.paired).toBe(true);
    if (process.env.SPIN_SCREENSHOT_DIR) {
      await page.screenshot({
        path: path.join(process.env.SPIN_SCREENSHOT_DIR, 'runtimes.png'),
        fullPage: true,
      });
    }

    // 5. run a cell on the new runtime: the browser origin was allowed by pairing and the
    //    program was sealed to the new runtime's key
    await page.getByTestId('nav-home').click();
    await page.getByTestId('new-notebook').click();
    await expect.poll(() => page.getByTestId('cell').count()).toBe(1);
    await page.getByTestId('runtime-select').selectOption(second.identity.runtimeId);
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 20_000 })
      .toMatch(/connected.*edge/);
    const localRunsBefore = stack.spin.runtime.kernels.totalExecuteRequests;
    await cell(page, 0).locator('.cm-content').click();
    await page.keyboard.type('print(6*7)');
    await page.keyboard.press('Shift+Enter');
    await expect
      .poll(() => cell(page, 0).getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('42');
    await expect.poll(() => cell(page, 0).getAttribute('data-status')).toBe('ok');
    expect(second.kernels.totalExecuteRequests).toBeGreaterThan(0);
    expect(stack.spin.runtime.kernels.totalExecuteRequests).toBe(localRunsBefore);

    // 6. re-pair: the runtime comes back on another port with new keys (same id, still paired
    //    with this server). The page shows old and new fingerprints and waits for confirmation.
    const oldFingerprint = second.identity.fingerprint;
    const oldUrl = second.url;
    await second.close();
    await rm(path.join(secondHome, 'keys'), { recursive: true, force: true });
    second = await startRuntime({
      port: 0,
      host: '127.0.0.1',
      home: secondHome,
      logLevel: 'warn',
      banner: false,
    });
    expect(second.identity.fingerprint).not.toBe(oldFingerprint);
    await page.getByTestId('nav-runtimes').click();
    await fillPairForm(page, {
      name: 'edge',
      url: second.url,
      token: second.spinToken,
      fingerprint: second.identity.fingerprint,
    });
    await expect.poll(() => page.getByTestId('repair-confirm').count()).toBe(1);
    expect(await page.getByTestId('repair-old-fingerprint').textContent()).toBe(oldFingerprint);
    expect(await page.getByTestId('repair-new-fingerprint').textContent()).toBe(
      second.identity.fingerprint,
    );
    expect(await page.getByTestId('repair-confirm').textContent()).toContain(oldUrl);
    // nothing changed before the confirmation
    expect(await edgeRow.textContent()).toContain(oldFingerprint);
    if (process.env.SPIN_SCREENSHOT_DIR) {
      await page.screenshot({
        path: path.join(process.env.SPIN_SCREENSHOT_DIR, 'runtimes-repair.png'),
        fullPage: true,
      });
    }
    await page.getByTestId('repair-confirm-button').click();
    await expect
      .poll(() => page.getByTestId('pair-result').textContent())
      .toContain(second.identity.fingerprint);
    expect(await page.getByTestId('pair-result').textContent()).toContain(oldFingerprint);
    await expect.poll(() => edgeRow.textContent()).toContain(second.identity.fingerprint);
    expect(await edgeRow.textContent()).toContain(second.url);
    expect(await page.getByTestId('runtime-row').count()).toBe(2);
    expect(await page.getByTestId('pair-error').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
