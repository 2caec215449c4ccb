import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

/**
 * Jupyter's command mode in a real browser (issue 11 acceptance 2): every shortcut the notebook
 * lists, pressed as a user presses it, checked by what the page then shows — the cells, their
 * order, types and sources, which one is selected, their outputs, and what a reload keeps.
 */
let stack: StackFixture;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const cells = () => page.getByTestId('cell');
const cell = (i: number) => cells().nth(i);

/** Each cell's source as shown (editor lines without the placeholder, or rendered markdown). */
async function sources(): Promise<string[]> {
  return cells().evaluateAll((els) =>
    els.map((el) => {
      const lines = [...el.querySelectorAll('.cm-content .cm-line')];
      if (lines.length === 0) return el.querySelector('.markdown-rendered')?.textContent ?? '';
      return lines
        .map((line) => {
          const copy = line.cloneNode(true) as HTMLElement;
          copy.querySelectorAll('.cm-placeholder').forEach((n) => n.remove());
          return copy.textContent ?? '';
        })
        .join('\n');
    }),
  );
}
async function types(): Promise<string[]> {
  return cells().evaluateAll((els) => els.map((el) => el.getAttribute('data-cell-type') ?? ''));
}
/** Index of the active cell, and whether it (not an editor) has keyboard focus. */
async function activeCell(): Promise<{ index: number; commandMode: boolean; editing: boolean }> {
  return page.evaluate(() => {
    const all = [...document.querySelectorAll('[data-testid="cell"]')];
    const index = all.findIndex((el) => el.hasAttribute('data-active'));
    const focused = document.activeElement;
    return {
      index,
      commandMode: focused === all[index],
      editing: !!focused?.closest('.cm-editor') && all[index]?.contains(focused) === true,
    };
  });
}
async function selectedCount(): Promise<number> {
  return page.locator('[data-testid="cell"][data-selected]').count();
}
async function press(...keys: string[]) {
  for (const k of keys) await page.keyboard.press(k);
}
/** Click into a cell's editor and type at the end of its text. */
async function typeInto(i: number, text: string) {
  await cell(i).locator('.cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}
/** Replace a cell's text. */
async function replaceIn(i: number, text: string) {
  await cell(i).locator('.cm-content').click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type(text);
}

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('Jupyter command mode in the notebook', () => {
  it('opens a new notebook with its first cell in edit mode', async () => {
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await page.getByTestId('new-notebook').click();
    await expect.poll(() => cells().count()).toBe(1);
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent())
      .toContain('connected');
    expect(await activeCell()).toMatchObject({ index: 0, editing: true });
  });

  it('Esc leaves the editor for command mode; Enter edits again', async () => {
    await page.keyboard.type('x = 1'); // the new notebook's first cell is in edit mode
    await press('Escape');
    expect(await activeCell()).toEqual({ index: 0, commandMode: true, editing: false });
    await press('Enter');
    expect(await activeCell()).toMatchObject({ index: 0, editing: true });
    await page.keyboard.type('0');
    await press('Escape');
    expect(await sources()).toEqual(['x = 10']);
  });

  it('B inserts below and A above, selecting the new cell in command mode', async () => {
    await press('b');
    expect(await sources()).toEqual(['x = 10', '']);
    expect(await activeCell()).toMatchObject({ index: 1, commandMode: true });
    await press('a');
    expect(await sources()).toEqual(['x = 10', '', '']);
    expect(await activeCell()).toMatchObject({ index: 1, commandMode: true });
    await press('Enter');
    await page.keyboard.type('y = 2');
    await press('Escape', 'ArrowDown', 'Enter');
    await page.keyboard.type('z = 3');
    await press('Escape');
    expect(await sources()).toEqual(['x = 10', 'y = 2', 'z = 3']);
  });

  it('arrows and J/K move the selection; Shift extends it', async () => {
    await press('ArrowUp');
    expect((await activeCell()).index).toBe(1);
    await press('k');
    expect((await activeCell()).index).toBe(0);
    await press('k'); // stays at the top
    expect((await activeCell()).index).toBe(0);
    await press('j', 'ArrowDown');
    expect(await activeCell()).toMatchObject({ index: 2, commandMode: true });
    await press('Shift+ArrowUp');
    expect(await selectedCount()).toBe(2);
    await press('Shift+K');
    expect(await selectedCount()).toBe(3);
    await press('Shift+J');
    expect(await selectedCount()).toBe(2);
    await press('ArrowDown'); // a plain move collapses the selection
    expect(await selectedCount()).toBe(0);
    await press('Control+a');
    expect(await selectedCount()).toBe(3);
    await press('ArrowUp', 'ArrowUp');
  });

  it('M makes a markdown cell and Y a code cell again', async () => {
    expect((await activeCell()).index).toBe(0);
    await press('m');
    expect(await types()).toEqual(['markdown', 'python', 'python']);
    await press('y');
    expect(await types()).toEqual(['python', 'python', 'python']);
    expect(await sources()).toEqual(['x = 10', 'y = 2', 'z = 3']);
  });

  it('D D deletes (one D does not) and Z puts the cell back where it was', async () => {
    await press('ArrowDown', 'd');
    // past the double-press window (800 ms) a lone D has done nothing — and checking the DOM
    // between the two presses of a real D D would take longer than that on a loaded machine
    await page.waitForTimeout(1000);
    expect(await sources()).toHaveLength(3);
    await press('d', 'd');
    expect(await sources()).toEqual(['x = 10', 'z = 3']);
    await expect.poll(() => page.getByTestId('notebook-notice').textContent()).toContain('deleted');
    await press('z');
    expect(await sources()).toEqual(['x = 10', 'y = 2', 'z = 3']);
    // the ✕ button is undoable too, from the toolbar
    await cell(2).getByTestId('delete-cell').click();
    expect(await sources()).toEqual(['x = 10', 'y = 2']);
    await page.getByTestId('undo-delete').click();
    expect(await sources()).toEqual(['x = 10', 'y = 2', 'z = 3']);
  });

  it('C copies, X cuts, V pastes below and Shift+V above', async () => {
    await cell(0).locator('.cell-gutter').click();
    await press('Shift+ArrowDown', 'c');
    await press('ArrowDown', 'ArrowDown', 'v');
    expect(await sources()).toEqual(['x = 10', 'y = 2', 'z = 3', 'x = 10', 'y = 2']);
    await press('x');
    expect(await sources()).toEqual(['x = 10', 'y = 2', 'z = 3', 'x = 10']);
    await cell(0).locator('.cell-gutter').click();
    await press('Shift+v');
    expect(await sources()).toEqual(['y = 2', 'x = 10', 'y = 2', 'z = 3', 'x = 10']);
    // tidy up: delete the three copies (two D D and one selection)
    await cell(0).locator('.cell-gutter').click();
    await press('d', 'd');
    await cell(3).locator('.cell-gutter').click();
    await press('Shift+ArrowDown', 'd', 'd');
    expect(await sources()).toEqual(['x = 10', 'y = 2', 'z = 3']);
  });

  it('Ctrl+Shift+arrows move the selected cells', async () => {
    await cell(2).locator('.cell-gutter').click();
    await press('Control+Shift+ArrowUp');
    expect(await sources()).toEqual(['x = 10', 'z = 3', 'y = 2']);
    await press('Control+Shift+ArrowDown');
    expect(await sources()).toEqual(['x = 10', 'y = 2', 'z = 3']);
    await cell(1).getByTestId('move-cell-up').click();
    expect(await sources()).toEqual(['y = 2', 'x = 10', 'z = 3']);
    await cell(0).getByTestId('move-cell-down').click();
    expect(await sources()).toEqual(['x = 10', 'y = 2', 'z = 3']);
  });

  it('Shift+Enter, Ctrl+Enter and Alt+Enter run from command mode', async () => {
    await typeInto(2, '\nprint(x + y + z)');
    await press('Escape');
    await cell(0).locator('.cell-gutter').click();
    await press('Shift+Enter'); // runs x = 10, selects the next cell
    expect(await activeCell()).toMatchObject({ index: 1, commandMode: true });
    await press('Control+Enter'); // runs y = 2, stays
    expect((await activeCell()).index).toBe(1);
    await press('ArrowDown', 'Alt+Enter'); // runs the print, inserts a cell below
    await expect
      .poll(() => cell(2).getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('15');
    expect(await sources()).toEqual(['x = 10', 'y = 2', 'z = 3\nprint(x + y + z)', '']);
    expect(await activeCell()).toMatchObject({ index: 3, editing: true });
  });

  it('I I interrupts the kernel and 0 0 restarts it after asking', async () => {
    await page.keyboard.type('import time\nprint("sleeping", flush=True)\ntime.sleep(60)');
    await press('Control+Enter');
    // the kernel is in the cell (not only compiling it) before the interrupt
    await expect
      .poll(() => cell(3).getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('sleeping');
    await press('Escape');
    await press('i', 'i');
    await expect
      .poll(() => cell(3).getAttribute('data-status'), { timeout: 15_000 })
      .not.toBe('running');
    expect(await cell(3).getByTestId('cell-output').textContent()).toContain('KeyboardInterrupt');

    await press('0', '0');
    await expect.poll(() => page.getByTestId('restart-confirm').count()).toBe(1);
    await press('Enter'); // Restart is focused
    await expect.poll(() => page.getByTestId('restart-confirm').count()).toBe(0);
    await replaceIn(3, 'print(x)');
    await press('Control+Enter');
    await expect
      .poll(() => cell(3).getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('NameError');
  });

  it('Run all runs top to bottom and stops at the first error', async () => {
    // cell 3 (print(x)) fails when run alone after a restart; Run all defines x first
    await page.getByTestId('run-all').click();
    await expect
      .poll(() => cell(3).getByTestId('cell-output').textContent(), { timeout: 60_000 })
      .toContain('10');
    await typeInto(1, '\nraise RuntimeError("stop here")');
    await press('Escape');
    await replaceIn(3, 'print("after", x)');
    await press('Escape');
    await page.getByTestId('run-all').click();
    await expect.poll(() => cell(1).getAttribute('data-status'), { timeout: 60_000 }).toBe('error');
    // the cells after the error did not run: their outputs are the earlier ones
    await new Promise((r) => setTimeout(r, 1500));
    expect(await cell(3).getByTestId('cell-output').textContent()).not.toContain('after');
    expect(await cell(2).getByTestId('cell-output').textContent()).toContain('15');
  });

  it('a linked cell runs when the one above succeeds, and not when it fails', async () => {
    await cell(2).getByTestId('cell-link').click();
    expect(await cell(2).getAttribute('data-linked')).toBe('true');
    await replaceIn(1, 'y = 5');
    await press('Control+Enter');
    await expect
      .poll(() => cell(2).getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('18');
    // a failing cell stops the chain
    await page.keyboard.press('Control+a');
    await page.keyboard.type('y = 7\nraise ValueError("no")');
    await press('Control+Enter');
    await expect.poll(() => cell(1).getAttribute('data-status'), { timeout: 30_000 }).toBe('error');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await cell(2).getByTestId('cell-output').textContent()).toContain('18');
  });

  it('Clear outputs empties every cell, and a reload keeps them cleared and the cells as edited', async () => {
    await page.getByTestId('clear-outputs').click();
    for (let i = 0; i < 4; i++) {
      expect(await cell(i).getByTestId('cell-output').textContent()).toBe('');
    }
    await press('Escape', 'Control+s');
    await expect.poll(() => page.getByTestId('save-status').textContent()).toBe('Saved');
    await page.reload();
    await expect.poll(() => cells().count(), { timeout: 30_000 }).toBe(4);
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent())
      .toContain('connected');
    await new Promise((r) => setTimeout(r, 1000)); // the journal replay has arrived
    for (let i = 0; i < 4; i++) {
      expect(await cell(i).getByTestId('cell-output').textContent()).toBe('');
    }
    expect(await sources()).toEqual([
      'x = 10',
      'y = 7\nraise ValueError("no")',
      'z = 3\nprint(x + y + z)',
      'print("after", x)',
    ]);
    expect(await cell(2).getAttribute('data-linked')).toBe('true');
    // and the next run shows again
    await replaceIn(0, 'print("again")');
    await press('Control+Enter');
    await expect
      .poll(() => cell(0).getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('again');
    expect(pageErrors).toEqual([]);
  });
});
