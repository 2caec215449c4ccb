import { readFile } from 'node:fs/promises';
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

/** A small Jupyter notebook with a markdown cell and a code cell that has outputs. */
const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' }, team: 'sre' },
  cells: [
    { id: 'notes', cell_type: 'markdown', metadata: {}, source: ['# Disk check\n', 'Run it.'] },
    {
      id: 'check',
      cell_type: 'code',
      metadata: { tags: ['keep'] },
      source: ['print("disk ok")'],
      execution_count: 1,
      outputs: [{ output_type: 'stream', name: 'stdout', text: ['disk ok\n'] }],
    },
  ],
};

describe('.ipynb in a real browser', () => {
  it('imports a file from the notebook list, shows its outputs, and exports it again', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await expect.poll(() => page.getByTestId('import-ipynb').count()).toBe(1);

    await page.getByTestId('import-ipynb-file').setInputFiles({
      name: 'Disk check.ipynb',
      mimeType: 'application/x-ipynb+json',
      buffer: Buffer.from(JSON.stringify(NOTEBOOK)),
    });
    await expect.poll(() => page.getByTestId('cell').count(), { timeout: 30_000 }).toBe(2);
    expect(await page.getByTestId('notebook-title').inputValue()).toBe('Disk check');
    await expect
      .poll(() => page.getByTestId('cell').nth(1).getByTestId('cell-output').textContent())
      .toContain('disk ok');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-ipynb').click(),
    ]);
    expect(download.suggestedFilename()).toBe('Disk-check.ipynb');
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8'));
    expect(exported.metadata).toEqual({ ...NOTEBOOK.metadata, spin: { title: 'Disk check' } });
    expect(exported.cells).toEqual(NOTEBOOK.cells);

    // a file that is not a notebook is refused with the server's code, and nothing opens
    await page.goto(stack.spin.url);
    await page.getByTestId('import-ipynb-file').setInputFiles({
      name: 'old.ipynb',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ ...NOTEBOOK, nbformat: 3 })),
    });
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('notebook.ipynb_version_unsupported');
    expect(await page.getByTestId('notebook-link').count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
