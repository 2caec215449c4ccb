import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

/**
 * A stream the output budget cut (issue 11: "showing N of M — load more from the runtime's
 * blobs", issue 8's spill): the head and tail come inline, the middle lives in a blob on the
 * runtime. The user sees one stream of every line — the last one on screen when the cell ends,
 * any middle line when scrolled to it, all of it by Download — also after a reload.
 */
const LINES = 300_000;
let stack: StackFixture;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const saved = process.env.SPIN_OUTPUT_INLINE_BYTES;

/** The lines inside the scroll box's visible area, by number, with their text. */
function visibleLines(cell: Locator): Promise<[number, string][]> {
  return cell.getByTestId('stream-scroll').evaluate((box) => {
    const r = box.getBoundingClientRect();
    return [...box.querySelectorAll('.stream-line')]
      .filter((e) => {
        const b = e.getBoundingClientRect();
        return b.top >= r.top - 1 && b.bottom <= r.bottom + 1;
      })
      .map((e) => [Number(e.getAttribute('data-line')), e.textContent ?? ''] as [number, string]);
  });
}

/** The visible lines once none of them is still being fetched (read in one go). */
async function settled(cell: Locator): Promise<[number, string][]> {
  let shown: [number, string][] = [];
  await expect
    .poll(
      async () => {
        shown = await visibleLines(cell);
        return shown.length > 20 && shown.every(([, t]) => t !== '…');
      },
      {
        timeout: 20_000,
        message: `still fetching (${await cell.getByTestId('stream-spilled').textContent()})`,
      },
    )
    .toBe(true);
  return shown;
}

const numbers = (lines: [number, string][]) => lines.map(([n]) => n);

beforeAll(async () => {
  // a small inline limit: a few thousand lines inline, the rest spilled to a blob
  process.env.SPIN_OUTPUT_INLINE_BYTES = '65536';
  stack = await startStack();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  if (saved === undefined) delete process.env.SPIN_OUTPUT_INLINE_BYTES;
  else process.env.SPIN_OUTPUT_INLINE_BYTES = saved;
  await browser?.close();
  await stack?.close();
});

describe('a stream past the output budget', () => {
  let url = '';

  it('shows every line as one stream, ending on the last line', async () => {
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await page.getByTestId('new-notebook').click();
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');
    await page.keyboard.type(`for i in range(${LINES}): print(f"n{i}")`);
    await page.keyboard.press('Control+Enter');
    const cell = page.getByTestId('cell').first();
    await expect.poll(() => cell.getAttribute('data-status'), { timeout: 90_000 }).toBe('ok');
    await expect
      .poll(() => cell.getByTestId('stream-line-count').textContent(), { timeout: 10_000 })
      .toBe('300,000 lines');
    const summary = await cell.getByTestId('stream-spilled').textContent();
    expect(summary).toMatch(/[\d,]+ inline, [\d,]+ from the runtime as you scroll/);
    // one stream view, not the head, a reference and the tail apart
    expect(await cell.getByTestId('stream-scroll').count()).toBe(1);
    const shown = await settled(cell);
    expect(shown.at(-1)).toEqual([LINES, `n${LINES - 1}`]);
    // search covers the lines that are here (head and tail now), saying so
    await cell.getByLabel('Find in output').fill(`n${LINES - 2}`);
    await expect
      .poll(() => cell.getByTestId('stream-hits').textContent())
      .toBe('1 of 1 (searches the lines loaded so far)');
    await cell.getByLabel('Find in output').fill('');
    url = page.url();
  });

  it('fetches the middle from the runtime when scrolled to it, line numbers matching text', async () => {
    const cell = page.getByTestId('cell').first();
    const box = cell.getByTestId('stream-scroll');
    await box.evaluate((b) => {
      b.scrollTop = (b.scrollHeight - b.clientHeight) / 2;
    });
    const shown = await settled(cell);
    const mid = shown[0]![0];
    // far from the head and the tail: these came from the blob
    expect(mid).toBeGreaterThan(100_000);
    expect(mid).toBeLessThan(200_000);
    for (const [n, text] of shown) expect(text).toBe(`n${n - 1}`);
  });

  it('moves by lines on the wheel and keys, not by thousands', async () => {
    const cell = page.getByTestId('cell').first();
    const before = numbers(await settled(cell))[0]!;
    await cell.getByTestId('stream-scroll').hover();
    await page.mouse.wheel(0, 18 * 3);
    await expect.poll(async () => numbers(await visibleLines(cell))[0]).toBe(before + 3);
    await cell.getByTestId('stream-scroll').focus();
    await page.keyboard.press('End');
    await expect.poll(async () => numbers(await visibleLines(cell)).at(-1)).toBe(LINES);
    await page.keyboard.press('ArrowUp');
    await expect.poll(async () => numbers(await visibleLines(cell)).at(-1)).toBe(LINES - 1);
  });

  it('downloads the whole stream from the runtime', async () => {
    const cell = page.getByTestId('cell').first();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      cell.getByTestId('stream-download').click(),
    ]);
    const text = readFileSync((await download.path())!, 'utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(LINES);
    expect(lines[0]).toBe('n0');
    expect(lines[123_456]).toBe('n123456');
    expect(lines.at(-1)).toBe(`n${LINES - 1}`);
  });

  it('after a reload the stream is whole again, its middle still reachable', async () => {
    await page.goto(url);
    const cell = page.getByTestId('cell').first();
    await expect
      .poll(() => cell.getByTestId('stream-line-count').textContent(), { timeout: 30_000 })
      .toBe('300,000 lines');
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 30_000 })
      .toContain('connected');
    await cell.getByTestId('stream-scroll').evaluate((b) => {
      b.scrollTop = (b.scrollHeight - b.clientHeight) / 3;
    });
    const shown = await settled(cell);
    expect(shown[0]![0]).toBeGreaterThan(50_000);
    for (const [n, text] of shown) expect(text).toBe(`n${n - 1}`);
    expect(pageErrors).toEqual([]);
  });
});
