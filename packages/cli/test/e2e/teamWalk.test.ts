import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startRuntime, type RuntimeHandle } from '@spin/runtime';
import { PrometheusServer } from '../../../runtime/src/processors/prometheus/prometheusServer.js';
import { createTestFile } from '../../../runtime/src/processors/sqlite/fixture.js';
import { startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';
import {
  STREAM_CELL,
  acceptInvitation,
  addCell,
  attachToRuntime,
  cellAt,
  output,
  status,
  typeInCell,
  useConnection,
  watchLive,
} from './teamWalkSteps.js';

/**
 * Issue 11 acceptance 1 as one team's walk through the product, in two browsers: an owner pairs
 * a runtime, invites a colleague, creates and tests connections, builds and runs a notebook
 * (template variable, linked cells, a PromQL chart, a SQL table), hands the session over and the
 * colleague watches a running cell's output arrive; then the notebook goes out as .ipynb and
 * comes back. Real Prometheus, a real SQLite file, real kernels, Debian's Chromium.
 */
const SHOTS = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));
const GUEST = { name: 'Grace Guest', email: 'grace@example.test', password: 'grace-password-42' };
const VIEWER = { name: 'Vic Viewer', email: 'vic@example.test', password: 'vic-password-42' };

let stack: StackFixture;
let edge: RuntimeHandle;
let prometheus: PrometheusServer;
let browser: Browser;
let workDir: string;
let sqliteFile: string;
const contexts: BrowserContext[] = [];
const attachToEdge = (page: Page, job: string | null) =>
  attachToRuntime(page, { id: edge.identity.runtimeId, name: 'edge' }, job);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  workDir = mkdtempSync(path.join(tmpdir(), 'spin-team-walk-'));
  sqliteFile = createTestFile(workDir);
  // Prometheus first, on its own: it must scrape itself a few times before it is ready, and
  // on a busy machine the rest starting beside it can push that past its start timeout.
  prometheus = await new PrometheusServer().start();
  [stack, browser, edge] = await Promise.all([
    startStack(),
    launchChromium(),
    startRuntime({
      port: 0,
      host: '127.0.0.1',
      home: path.join(workDir, 'edge'),
      logLevel: 'warn',
      banner: false,
    }),
  ]);
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await edge?.close();
  await prometheus?.stop();
  await stack?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** A page in a browser context of its own (a person's own browser), recording page errors. */
async function personPage(errors: string[]): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 1000 },
    acceptDownloads: true,
  });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  return page;
}

describe('issue 11 acceptance 1: a team walks through SPIN in two browsers', () => {
  it('pairs, invites, connects, builds and runs a notebook, hands the session over, and round-trips .ipynb', async () => {
    const ownerErrors: string[] = [];
    const guestErrors: string[] = [];
    const viewerErrors: string[] = [];
    const owner = await personPage(ownerErrors);

    // ---- the owner signs up
    await owner.goto(stack.spin.url);
    await signUpInBrowser(owner);
    await expect.poll(() => owner.getByTestId('current-user').textContent()).toContain('Ada');

    // ---- pairs the edge runtime from the Runtimes page
    await owner.getByTestId('nav-runtimes').click();
    await owner.getByTestId('pair-name').fill('edge');
    await owner.getByTestId('pair-url').fill(edge.url);
    await owner.getByTestId('pair-token').fill(edge.spinToken);
    await owner.getByTestId('pair-fingerprint').fill(edge.identity.fingerprint);
    await owner.getByTestId('pair-submit').click();
    await expect
      .poll(() => owner.getByTestId('pair-result').textContent(), { timeout: 30_000 })
      .toContain(edge.identity.fingerprint);
    const edgeRow = owner.locator(
      `[data-testid="runtime-row"][data-runtime-id="${edge.identity.runtimeId}"]`,
    );
    await expect.poll(() => edgeRow.textContent()).toContain(edge.url);

    // ---- invites a colleague as editor and one as viewer; each signs up in their own browser
    await owner.getByTestId('nav-members').click();
    await owner.getByTestId('invite-role').selectOption('editor');
    await owner.getByTestId('invite-create').click();
    const link = await owner.getByTestId('invite-link').inputValue();
    await owner.getByTestId('invite-role').selectOption('viewer');
    await owner.getByTestId('invite-create').click();
    await expect.poll(() => owner.getByTestId('invite-link').inputValue()).not.toBe(link);
    const viewerLink = await owner.getByTestId('invite-link').inputValue();
    const guest = await personPage(guestErrors);
    await acceptInvitation(guest, link, GUEST, 'editor');
    const viewer = await personPage(viewerErrors);
    await acceptInvitation(viewer, viewerLink, VIEWER, 'viewer');

    // ---- creates the notebook (a Test runs in a session of one of the workspace's notebooks)
    await owner.getByTestId('nav-home').click();
    await owner.getByTestId('new-notebook').click();
    await expect.poll(() => owner.getByTestId('cell').count()).toBe(1);
    await owner.getByTestId('notebook-title').fill('Team walk');
    await owner.getByTestId('notebook-title').press('Enter');
    const notebookUrl = owner.url();
    const notebookId = new URL(notebookUrl).pathname.split('/').pop()!;
    await expect
      .poll(() => owner.getByTestId('save-status').textContent(), { timeout: 30_000 })
      .toBe('Saved');

    // ---- creates a Prometheus and a SQLite connection, and tests Prometheus on the edge
    await owner.getByTestId('nav-connections').click();
    await owner.getByTestId('connection-new').click();
    await owner.getByTestId('connection-processor').selectOption('prometheus');
    await owner.getByTestId('connection-name').fill('metrics');
    await owner.getByTestId('connection-config-url').fill(prometheus.url);
    await owner.getByTestId('connection-save').click();
    const metrics = owner.locator('[data-testid="connection-row"][data-name="metrics"]');
    await metrics.waitFor();
    await owner.getByTestId('connection-new').click();
    await owner.getByTestId('connection-processor').selectOption('sqlite');
    await owner.getByTestId('connection-name').fill('inventory');
    await owner.getByTestId('connection-config-path').fill(sqliteFile);
    await owner.getByTestId('connection-save').click();
    await owner.locator('[data-testid="connection-row"][data-name="inventory"]').waitFor();
    await owner.getByTestId('connection-test-runtime').selectOption(edge.identity.runtimeId);
    await metrics.getByTestId('connection-test').click();
    const tested = metrics.getByTestId('connection-test-result');
    await tested.waitFor({ timeout: 60_000 });
    expect(await tested.textContent()).toMatch(/^✓ metrics: connected/);
    expect(await tested.getAttribute('data-ok')).toBe('true');

    // ---- builds the notebook: a template variable, two linked cells, PromQL, SQL, a stream
    await owner.goto(notebookUrl);
    await expect.poll(() => owner.getByTestId('cell').count(), { timeout: 30_000 }).toBe(1);
    await owner.getByTestId('variables-toggle').click();
    await owner.getByTestId('variable-add-input').click();
    await owner.getByTestId('variable-0').getByTestId('variable-name').fill('job');
    await owner.getByTestId('variables-toggle').click();
    await typeInCell(owner, cellAt(owner, 0), 'base = 40');
    const linked = await addCell(owner, 'python');
    await typeInCell(owner, linked, 'print("answer", base + 2)');
    await linked.getByTestId('cell-link').click();
    expect(await linked.getAttribute('data-linked')).toBe('true');
    const promql = await addCell(owner, 'prometheus');
    await useConnection(promql, 'metrics');
    await typeInCell(owner, promql, 'up{job="{{job}}"}');
    const sql = await addCell(owner, 'sqlite');
    await useConnection(sql, 'inventory');
    await typeInCell(owner, sql, 'SELECT id, name, ratio FROM items ORDER BY id');
    const stream = await addCell(owner, 'python');
    await typeInCell(owner, stream, STREAM_CELL);
    await expect
      .poll(() => owner.getByTestId('save-status').textContent(), { timeout: 30_000 })
      .toBe('Saved');

    // ---- a new page load on the edge runtime asks for the variable
    await owner.reload();
    await expect.poll(() => owner.getByTestId('cell').count(), { timeout: 30_000 }).toBe(5);
    await attachToEdge(owner, 'prometheus');
    // linked: running the first cell alone runs the one linked to it, and no further
    const chart = cellAt(owner, 2).getByTestId('frame-timeseries');
    await cellAt(owner, 0).getByTestId('run-cell').click();
    await expect.poll(() => output(cellAt(owner, 1)), { timeout: 60_000 }).toBe('answer 42\n');
    expect(await status(cellAt(owner, 2))).toBe('idle');
    expect(await chart.count()).toBe(0);

    // ---- Run all: each cell's output as its kind is drawn
    await owner.getByTestId('run-all').click();
    for (let i = 0; i < 5; i++) {
      await expect.poll(() => status(cellAt(owner, i)), { timeout: 90_000 }).toBe('ok');
    }
    expect(await output(cellAt(owner, 1))).toBe('answer 42\n');
    // the PromQL cell is drawn as a chart of the `up` series of the job named by {{job}}
    await expect.poll(() => chart.count()).toBe(1);
    expect(await chart.getByTestId('timeseries-chart').count()).toBe(1);
    expect(await chart.textContent()).toContain('job="prometheus"');
    // the SQL cell as a table
    const table = cellAt(owner, 3).getByTestId('frame-table');
    expect(await table.getByRole('columnheader').allTextContents()).toEqual([
      'id',
      'name',
      'ratio',
    ]);
    // rows 1 and 2 of the grid are the column names and their filters; data starts at 3
    const secondRow = table.locator('[role="row"][aria-rowindex="4"]');
    expect(await secondRow.getByRole('cell').allTextContents()).toEqual(['2', 'web-2', '2.25']);
    expect(await output(cellAt(owner, 4))).toContain('tick 6\ndone');
    await expect
      .poll(() => owner.getByTestId('save-status').textContent(), { timeout: 30_000 })
      .toBe('Saved');

    // ---- the colleague opens the notebook on the same runtime and joins the session
    await guest.goto(notebookUrl);
    await expect.poll(() => guest.getByTestId('cell').count(), { timeout: 30_000 }).toBe(5);
    await attachToEdge(guest, 'prometheus');
    const ownerPanel = owner.getByTestId('session-panel');
    const guestPanel = guest.getByTestId('session-panel');
    // the owner sees her arrive (the record is re-read every few seconds)
    const graceAvatar = ownerPanel.locator(
      '[data-testid="session-participant"][data-name="Grace Guest"]',
    );
    await expect.poll(() => graceAvatar.count(), { timeout: 30_000 }).toBe(1);
    expect(await graceAvatar.getAttribute('title')).toContain('Grace Guest');
    const adaAvatar = ownerPanel.locator('[data-testid="session-participant"][data-owner="true"]');
    expect(await adaAvatar.getAttribute('data-name')).toBe('Ada Admin');
    expect(await ownerPanel.getByTestId('session-owner').textContent()).toBe('Owner: you');
    // she may run cells but not hand over or interrupt: not the owner
    await expect
      .poll(() => guestPanel.getByTestId('session-owner').textContent())
      .toBe('Owner: Ada Admin');
    expect(await guestPanel.getByTestId('session-handoff').count()).toBe(0);
    expect(await guestPanel.getByTestId('session-rights').textContent()).toContain(
      'only Ada Admin, the owner, can interrupt or restart',
    );
    // and the toolbar does not offer what the runtime would refuse
    await expect.poll(() => guest.getByTestId('restart-kernel').isDisabled()).toBe(true);
    expect(await guest.getByTestId('restart-run-all').isDisabled()).toBe(true);
    expect(await owner.getByTestId('restart-kernel').isDisabled()).toBe(false);

    // ---- the viewer joins to watch: read-only, Run hidden, and the reason said
    await viewer.goto(notebookUrl);
    await expect.poll(() => viewer.getByTestId('cell').count(), { timeout: 30_000 }).toBe(5);
    await attachToEdge(viewer, null);
    const viewerPanel = viewer.getByTestId('session-panel');
    expect(await viewer.getByTestId('read-only-notice').textContent()).toContain(
      'not edit or run it',
    );
    expect(await viewer.getByTestId('run-cell').count()).toBe(0);
    expect(await viewer.getByTestId('run-all').count()).toBe(0);
    await expect
      .poll(() => viewerPanel.getByTestId('session-rights').textContent())
      .toContain('You are watching');
    expect(await viewerPanel.getByTestId('session-rights').getAttribute('data-can-run')).toBe(
      'false',
    );
    expect(await viewerPanel.getByTestId('session-handoff').count()).toBe(0);
    // she is in the session, but the owner cannot hand it to a viewer: not offered
    const vicAvatar = ownerPanel.locator(
      '[data-testid="session-participant"][data-name="Vic Viewer"]',
    );
    await expect.poll(() => vicAvatar.count(), { timeout: 30_000 }).toBe(1);
    expect(
      await ownerPanel.getByTestId('session-handoff-target').locator('option').allTextContents(),
    ).toEqual(['Grace Guest']);

    // ---- the owner hands the session to her
    await ownerPanel.getByTestId('session-handoff-target').selectOption({ label: 'Grace Guest' });
    await ownerPanel.getByTestId('session-handoff').click();
    await expect
      .poll(() => ownerPanel.getByTestId('session-owner').textContent())
      .toBe('Owner: Grace Guest');
    expect(await ownerPanel.getByTestId('session-handoff').count()).toBe(0);
    await expect
      .poll(() => guestPanel.getByTestId('session-owner').textContent(), { timeout: 30_000 })
      .toBe('Owner: you');
    expect(await guestPanel.getByTestId('session-rights').textContent()).toContain(
      'You own this session',
    );
    expect(await guestPanel.getByTestId('session-handoff-target').count()).toBe(1);
    await expect.poll(() => guest.getByTestId('restart-kernel').isDisabled()).toBe(false);
    await expect.poll(() => owner.getByTestId('restart-kernel').isDisabled()).toBe(true);
    // Ada, an org admin (a workspace owner), may take it back; she no longer hands it over
    expect(await ownerPanel.getByTestId('session-take-over').count()).toBe(1);
    // the runtime itself moved the owner rights to her (new epoch), without waiting for a
    // scheduled token refresh
    const sid = (await guestPanel.getAttribute('data-sid'))!;
    const graceId = (await guestPanel.getAttribute('data-owner-id'))!;
    expect(await graceAvatar.getAttribute('data-user-id')).toBe(graceId);
    await expect
      .poll(() => edge.sessions.get(sid).owner, { timeout: 30_000 })
      .toEqual({ owner: graceId, ownerEpoch: 1 });

    // ---- a cell printing a line a second runs; she (and the viewer) watch the lines arrive
    await cellAt(owner, 4).getByTestId('run-cell').click();
    await Promise.all([watchLive(cellAt(guest, 4)), watchLive(cellAt(viewer, 4))]);

    // ---- the timeline: every run with who ran it, its status, duration and runtime
    await guestPanel.getByTestId('session-timeline-toggle').click();
    const runs = guestPanel.getByTestId('session-run');
    // the connection Test (it ran in this notebook's session on the edge), Run all, the first
    // cell with its linked one, and the watched run: all Ada's, all ok, all on the edge
    await expect
      .poll(() => runs.evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))), {
        timeout: 30_000,
      })
      .toEqual(Array(9).fill('ok'));
    const rows = await runs.evaluateAll((els) =>
      els.map((e) => [...e.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    expect(rows.map((r) => r[0]).sort()).toEqual([
      'Cell 1',
      'Cell 1',
      'Cell 2',
      'Cell 2',
      'Cell 3 · prometheus',
      'Cell 4 · sqlite',
      'Cell 5',
      'Cell 5',
      'Connection test · prometheus',
    ]);
    expect(new Set(rows.map((r) => `${r[1]} ${r[3]} ${r[5]}`))).toEqual(
      new Set(['Ada Admin ok edge']),
    );
    // newest first: the watched run, a few seconds long
    expect(rows[0]![0]).toBe('Cell 5');
    expect(rows[0]![4]).toMatch(/^\d+\.\d s$/);
    expect(rows.at(-1)![0]).toBe('Connection test · prometheus');
    await guest.screenshot({
      path: path.join(SHOTS, 'notebook-session-new-owner.png'),
      fullPage: true,
    });
    await ownerPanel.getByTestId('session-timeline-toggle').click();
    await expect
      .poll(() =>
        ownerPanel
          .getByTestId('session-run')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))),
      )
      .toEqual(Array(9).fill('ok'));
    await owner.screenshot({ path: path.join(SHOTS, 'notebook-session.png'), fullPage: true });

    // ---- export as .ipynb and import it again: the cells come back
    const [download] = await Promise.all([
      owner.waitForEvent('download'),
      owner.getByTestId('export-ipynb').click(),
    ]);
    expect(download.suggestedFilename()).toBe('Team-walk.ipynb');
    const exported = await readFile((await download.path())!, 'utf8');
    const ipynb = JSON.parse(exported) as { cells: { source: string | string[] }[] };
    expect(ipynb.cells).toHaveLength(5);
    const sources = async (page: Page) =>
      page.getByTestId('cell').locator('.cm-content').allTextContents();
    const typesOf = async (page: Page) =>
      page
        .getByTestId('cell')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-cell-type')));
    const before = { types: await typesOf(owner), count: await owner.getByTestId('cell').count() };
    expect(before.types).toEqual(['python', 'python', 'prometheus', 'sqlite', 'python']);
    await owner.getByTestId('nav-home').click();
    await owner.getByTestId('import-ipynb-file').setInputFiles({
      name: 'Team walk copy.ipynb',
      mimeType: 'application/x-ipynb+json',
      buffer: Buffer.from(exported),
    });
    await expect.poll(() => owner.getByTestId('cell').count(), { timeout: 30_000 }).toBe(5);
    expect(new URL(owner.url()).pathname).not.toBe(`/notebooks/${notebookId}`);
    expect(await typesOf(owner)).toEqual(before.types);
    const imported = await sources(owner);
    expect(imported[1]).toBe('print("answer", base + 2)');
    expect(imported[2]).toBe('up{job="{{job}}"}');
    expect(imported[3]).toBe('SELECT id, name, ratio FROM items ORDER BY id');
    expect(await cellAt(owner, 1).getAttribute('data-linked')).toBe('true');
    await expect
      .poll(() => cellAt(owner, 3).getByTestId('frame-table').count(), { timeout: 30_000 })
      .toBe(1);

    expect(ownerErrors).toEqual([]);
    expect(guestErrors).toEqual([]);
    expect(viewerErrors).toEqual([]);
  }, 300_000); // one walk through every step, on a shared 2-core machine
});
