import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ADMIN, startStack, type StackFixture } from '../fixtures.js';
import { launchChromium } from './browserFixtures.js';

/**
 * The README's "Your first run", done literally in a real browser: the labels to fill, the
 * buttons to click, the code to type and the output to expect are read from README.md, so the
 * README cannot drift from what works. `SPIN_E2E_URL` points it at an already running
 * `npm start` (a fresh one: step 2 creates its first account).
 */
const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

function step(re: RegExp): string[] {
  const m = re.exec(readme.replace(/\n\s+/g, ' '));
  if (!m) throw new Error(`README.md has no step matching ${re}`);
  return m.slice(1);
}

const [readmeUrl] = step(/1\. Open <(http:\/\/localhost:\d+)>\./);
const [nameLabel, emailLabel, passwordLabel, submitLabel] = step(
  /2\. Create the first account: fill in \*\*(\w+)\*\*, \*\*(\w+)\*\* and \*\*(\w+)\*\* and click \*\*(.+?)\*\*/,
);
const [newNotebookLabel] = step(/3\. Click \*\*(.+?)\*\*\./);
const [code, keys, expected] = step(/4\. Type `(.+?)` and press \*\*(.+?)\*\*: `(.+?)` appears/);

let stack: StackFixture | undefined;
let browser: Browser;
let url: string;

beforeAll(async () => {
  if (process.env.SPIN_E2E_URL) {
    url = process.env.SPIN_E2E_URL;
  } else {
    stack = await startStack();
    url = stack.spin.url;
  }
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the README, word for word', () => {
  it('names the default URL of npm start', () => {
    expect(readmeUrl).toBe('http://localhost:8080');
  });

  it('signs up, opens a new notebook, types the code with no click and sees its output', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    // 1. Open the URL (the test stack listens on a free port instead of 8080)
    await page.goto(url);
    // 2. Create the first account
    await page.getByLabel(nameLabel!).fill(ADMIN.name);
    await page.getByLabel(emailLabel!).fill(ADMIN.email);
    await page.getByLabel(passwordLabel!).fill(ADMIN.password);
    await page.getByRole('button', { name: submitLabel }).click();
    // 3. Click New notebook
    await page.getByRole('button', { name: newNotebookLabel }).click();
    await expect.poll(() => page.getByTestId('cell').count()).toBe(1);
    // 4. Type and press Shift+Enter — no click in between: the first cell is in edit mode
    await expect
      .poll(() =>
        page.evaluate(() => document.activeElement?.closest('[data-testid=cell]') !== null),
      )
      .toBe(true);
    await page.keyboard.type(code!);
    await page.keyboard.press(keys!.replace(/\s/g, ''));

    const firstCell = page.getByTestId('cell').first();
    await expect
      .poll(async () => (await firstCell.getByTestId('cell-output').textContent())?.trim(), {
        timeout: 30_000,
      })
      .toBe(expected);
    expect(await firstCell.locator('.cm-content').textContent()).toBe(code);
    expect(pageErrors).toEqual([]);
  });
});
