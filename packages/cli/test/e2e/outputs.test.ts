import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { PrometheusServer } from '../../../runtime/src/processors/prometheus/prometheusServer.js';
import { startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

/**
 * Outputs as a user sees them (issue 11): a long stream is a virtual list that shows its last
 * line and can be searched, a PromQL result is a chart, and markdown tables are tables.
 */
let stack: StackFixture;
let browser: Browser;
let page: Page;
let workDir: string;
const prom = new PrometheusServer();
const pageErrors: string[] = [];

const cellAt = (i: number): Locator => page.getByTestId('cell').nth(i);

async function replaceSource(cell: Locator, text: string) {
  await cell.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

beforeAll(async () => {
  await prom.start({ samples: 3 });
  workDir = mkdtempSync(join(tmpdir(), 'spin-e2e-outputs-'));
  const home = join(workDir, 'stack');
  mkdirSync(join(home, 'runtime'), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(home, 'runtime', 'connections.json'),
    JSON.stringify({
      connections: [{ name: 'metrics', type: 'prometheus', config: { url: prom.url } }],
    }),
    { mode: 0o600 },
  );
  stack = await startStack({ home });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await prom.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('outputs in a real browser', () => {
  it('shows 200,000 printed lines as a virtual list ending on the last line, and finds a line', async () => {
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await page.getByTestId('new-notebook').click();
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');
    await page.keyboard.type('for i in range(200_000): print(f"line {i}")');
    await page.keyboard.press('Control+Enter');
    const cell = cellAt(0);
    await expect.poll(() => cell.getAttribute('data-status'), { timeout: 60_000 }).toBe('ok');
    await expect
      .poll(() => cell.getByTestId('stream-line-count').textContent(), { timeout: 10_000 })
      .toBe('200,000 lines');
    // it followed the tail: the last line is on screen, and only a screenful is in the DOM
    const last = cell.locator('.stream-line[data-line="200000"]');
    await expect.poll(() => last.textContent(), { timeout: 5000 }).toBe('line 199999');
    expect(await last.isVisible()).toBe(true);
    expect(await cell.locator('.stream-line').count()).toBeLessThan(200);

    await cell.getByLabel('Find in output').fill('line 123456');
    await expect.poll(() => cell.getByTestId('stream-hits').textContent()).toBe('1 of 1');
    await cell.getByLabel('Find in output').press('Enter');
    const found = cell.locator('.stream-line-hit');
    await expect.poll(() => found.textContent()).toBe('line 123456');
    expect(await found.getAttribute('data-line')).toBe('123457');
  });

  it('draws a PromQL result as a chart with a legend, and as a table on request', async () => {
    await page.getByTestId('add-cell-bar').last().getByTestId('add-cell-prometheus').click();
    const cell = cellAt(1);
    await cell.getByTestId('cell-settings-toggle').click();
    await cell.getByTestId('cell-connection').fill('metrics');
    await replaceSource(cell, 'up');
    await cell.getByTestId('run-cell').click();
    await expect.poll(() => cell.getAttribute('data-status'), { timeout: 60_000 }).toBe('ok');
    const chart = cell.getByTestId('timeseries-chart');
    await expect.poll(() => chart.locator('canvas').count(), { timeout: 10_000 }).toBe(1);
    const box = await chart.locator('canvas').boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(await chart.locator('.u-legend').textContent()).toContain('up{');
    await cell.getByTestId('timeseries-as-table').click();
    expect(await cell.getByTestId('frame-timeseries').locator('td').first().textContent()).toMatch(
      /^up\{.*job="prometheus"/,
    );
  });

  it('renders a markdown table as a table', async () => {
    await page.getByTestId('add-cell-bar').last().getByTestId('add-cell-markdown').click();
    const cell = cellAt(2);
    await cell.locator('.cm-content').click();
    await page.keyboard.insertText('| host | load |\n|---|---|\n| db-1 | 0.9 |');
    await page.keyboard.press('Shift+Enter');
    await expect
      .poll(() => cell.locator('.markdown table th').allTextContents())
      .toEqual(['host', 'load']);
    expect(await cell.locator('.markdown td').allTextContents()).toEqual(['db-1', '0.9']);
    expect(pageErrors).toEqual([]);
  });

  it('scrolls a 5,000-line stream at its true height: top, a found line, the end', async () => {
    await page.getByTestId('add-cell-bar').last().getByTestId('add-cell-python').click();
    const cell = page.getByTestId('cell').last(); // after a Shift+Enter's new cell, if any
    await replaceSource(cell, 'for i in range(5000): print(f"row {i}")');
    await cell.getByTestId('run-cell').click();
    await expect.poll(() => cell.getAttribute('data-status'), { timeout: 60_000 }).toBe('ok');
    await expect
      .poll(() => cell.getByTestId('stream-line-count').textContent())
      .toBe('5,000 lines');
    const box = cell.getByTestId('stream-scroll');
    // true height: 18 px a line, so the box scrolls through 90,000 px
    expect(await box.evaluate((el) => el.scrollHeight)).toBe(5000 * 18);
    await expect
      .poll(() => cell.locator('.stream-line[data-line="5000"]').textContent())
      .toBe('row 4999');
    await box.evaluate((el) => (el.scrollTop = 0));
    const firstLine = cell.locator('.stream-line[data-line="1"]');
    await expect.poll(() => firstLine.textContent()).toBe('row 0');
    expect(await firstLine.isVisible()).toBe(true);
    await box.hover();
    await page.mouse.wheel(0, 18 * 100); // native scrolling: 100 lines down
    await expect.poll(() => box.evaluate((el) => el.scrollTop)).toBe(1800);
    await expect.poll(() => cell.locator('.stream-line[data-line="101"]').isVisible()).toBe(true);
    await cell.getByLabel('Find in output').fill('row 2500');
    await cell.getByLabel('Find in output').press('Enter');
    const found = cell.locator('.stream-line-hit');
    await expect.poll(() => found.textContent()).toBe('row 2500');
    expect(await found.getAttribute('data-line')).toBe('2501');
    expect(await found.isVisible()).toBe(true);
    expect(await cell.locator('.stream-line').count()).toBeLessThan(100);
    expect(pageErrors).toEqual([]);
  });
});
