import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';
import { seriousViolations } from './axe.js';

/**
 * Issue 11 "JSON tree": `application/json` output (IPython's `display(JSON(...))`, what an API
 * call returns) is a collapsible tree, opened two levels deep, with its raw text one click away.
 */
let stack: StackFixture;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const CODE = [
  'from IPython.display import JSON, display',
  'display(JSON({"service": "api", "replicas": 2, "healthy": False,',
  '  "pods": [{"name": "api-1", "node": {"zone": "eu-west-1a"}}, {"name": "api-2"}]}))',
].join('\n');

describe('JSON output', () => {
  it('is a tree that folds, opens on click, and shows its raw text', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await page.getByTestId('new-notebook').click();
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');
    await page.keyboard.insertText(CODE);
    await page.keyboard.press('Control+Enter');
    const cell = page.getByTestId('cell').first();
    await expect.poll(() => cell.getAttribute('data-status'), { timeout: 60_000 }).toBe('ok');

    const tree = cell.getByTestId('json-tree');
    await tree.waitFor();
    const text = () => tree.innerText();
    // two levels open: the top-level fields and the pods list; a pod's fields are folded
    expect(await text()).toContain('service:');
    expect(await text()).toContain('"api"');
    expect(await text()).toContain('false');
    expect(await text()).not.toContain('api-1');
    expect(await tree.getByRole('button', { name: 'Expand' }).count()).toBe(2);

    // open the first pod, then its node
    await tree.getByRole('button', { name: 'Expand' }).first().click();
    await expect.poll(text).toContain('"api-1"');
    expect(await text()).not.toContain('eu-west-1a');
    await tree.getByRole('button', { name: 'Expand' }).first().click();
    await expect.poll(text).toContain('"eu-west-1a"');
    expect(await seriousViolations(page)).toEqual([]);

    // the raw text, pretty-printed, for copying
    await tree.getByRole('button', { name: 'Raw JSON' }).click();
    await expect.poll(() => tree.locator('pre').textContent()).toContain('"zone": "eu-west-1a"');
    expect(errors).toEqual([]);
  });
});
