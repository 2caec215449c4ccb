import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createNodeApi } from '@spin/client/node';
import type { AuditEntry } from '@spin/protocol';
import {
  PrometheusServer,
  freePort,
} from '../../../runtime/src/processors/prometheus/prometheusServer.js';
import { ADMIN, startStack, type StackFixture } from '../fixtures.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

let stack: StackFixture;
let browser: Browser;
let prometheus: PrometheusServer;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [stack, browser, prometheus] = await Promise.all([
    startStack(),
    launchChromium(),
    new PrometheusServer().start(),
  ]);
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await prometheus?.stop();
  await stack?.close();
});

async function newPage(errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  return page;
}

const SECRET_VALUE = 'prom-bearer-7f3a9c51e2d84b06';
const VIEWER = { name: 'Vic Viewer', email: 'vic@example.test', password: 'vic-password-42' };

function row(page: Page, testId: string, name: string) {
  return page.locator(`[data-testid="${testId}"][data-name="${name}"]`);
}

describe('connections, secrets and the audit log in the web UI', () => {
  it('an owner manages and tests them; the audit log records names only; a viewer sees names and types', async () => {
    const adminErrors: string[] = [];
    const page = await newPage(adminErrors);
    await page.goto(stack.spin.url);
    await signUpInBrowser(page);
    await expect.poll(() => page.getByTestId('current-user').textContent()).toContain('Ada');
    const adminApi = createNodeApi(stack.spin.url);
    await adminApi.login({ email: ADMIN.email, password: ADMIN.password });
    const [workspace] = await adminApi.listWorkspaces();
    // a Test runs in a session of a notebook of the workspace
    await adminApi.createNotebook({ title: 'Checks', workspaceId: workspace!.id });

    // ---- a spin_store secret: its value is write-only
    await page.getByTestId('nav-secrets').click();
    expect(new URL(page.url()).pathname).toBe('/secrets');
    expect(await page.title()).toBe('Secrets · SPIN');
    await page.getByTestId('no-secrets').waitFor();
    await page.getByTestId('secret-name').fill('prom_token');
    await page.getByTestId('secret-description').fill('bearer token of the metrics proxy');
    await page.getByTestId('secret-value').fill(SECRET_VALUE);
    await page.getByTestId('secret-save').click();
    const secretRow = row(page, 'secret-row', 'prom_token');
    await secretRow.waitFor();
    expect(await secretRow.getByTestId('secret-store').textContent()).toBe('SPIN store');
    expect(await secretRow.getByTestId('secret-value-state').textContent()).toBe('set');
    expect(await page.content()).not.toContain(SECRET_VALUE);
    await secretRow.getByTestId('secret-edit').click();
    await page.getByTestId('secret-value-set').waitFor();
    expect(await page.getByTestId('secret-value').count()).toBe(0);
    expect(await page.content()).not.toContain(SECRET_VALUE);
    await page.getByRole('button', { name: 'Cancel' }).click();

    // references to values kept elsewhere: an environment variable of the runtime, a Vault key
    await page.getByTestId('secret-name').fill('prom_env');
    await page.getByTestId('secret-store-type').selectOption('runtime_env');
    await page.getByTestId('secret-env').fill('PROM_TOKEN');
    await page.getByTestId('secret-save').click();
    await row(page, 'secret-row', 'prom_env').waitFor();
    await page.getByTestId('secret-name').fill('prom_vault');
    await page.getByTestId('secret-store-type').selectOption('vault');
    await page.getByTestId('secret-vault-mount').fill('kv');
    await page.getByTestId('secret-vault-path').fill('ops/prometheus');
    await page.getByTestId('secret-vault-key').fill('token');
    await page.getByTestId('secret-vault-version').fill('2');
    await page.getByTestId('secret-save').click();
    await row(page, 'secret-row', 'prom_vault').waitFor();
    expect(
      await row(page, 'secret-row', 'prom_env').getByTestId('secret-store').textContent(),
    ).toBe('$PROM_TOKEN');
    expect(
      await row(page, 'secret-row', 'prom_vault').getByTestId('secret-store').textContent(),
    ).toBe('vault kv/ops/prometheus#token (v2)');
    const stored = await adminApi.listSecrets(workspace!.id);
    expect(stored.find((x) => x.name === 'prom_vault')?.ref).toEqual({
      storeType: 'vault',
      vault: { mount: 'kv', path: 'ops/prometheus', key: 'token', version: 2 },
    });

    // ---- a Prometheus connection whose bearer token references the secret
    await page.getByTestId('nav-connections').click();
    expect(await page.title()).toBe('Connections · SPIN');
    await page.getByTestId('no-connections').waitFor();
    await page.getByTestId('connection-new').click();
    await page.getByTestId('connection-processor').selectOption('prometheus');
    await page.getByTestId('connection-name').fill('metrics');
    await page.getByTestId('connection-config-url').fill(prometheus.url);
    await page.getByTestId('connection-config-auth').selectOption('bearer');
    await page.getByTestId('connection-secrets-token').fill('{{secret:prom_token}}');
    await page.getByTestId('connection-save').click();
    const metrics = row(page, 'connection-row', 'metrics');
    await metrics.waitFor();
    expect(await metrics.getByTestId('connection-type').textContent()).toBe('Prometheus');

    // the stored token shows only as set, with replace and clear; no value in the page
    await metrics.getByTestId('connection-edit').click();
    await expect
      .poll(() => page.getByTestId('connection-secret-state-token').getAttribute('data-state'))
      .toBe('set');
    expect(await page.getByTestId('connection-secrets-token').count()).toBe(0);
    expect(await page.getByTestId('connection-secret-replace-token').count()).toBe(1);
    expect(await page.getByTestId('connection-secret-clear-token').count()).toBe(1);
    expect(await page.getByTestId('connection-config-url').inputValue()).toBe(prometheus.url);
    const html = await page.content();
    expect(html).not.toContain(SECRET_VALUE);
    expect(html).not.toContain('{{secret:prom_token}}');
    await page.getByTestId('connection-cancel').click();

    // Clear empties the stored field; typing a value sets it again
    const id = (await metrics.getAttribute('data-connection-id'))!;
    await metrics.getByTestId('connection-edit').click();
    await page.getByTestId('connection-secret-clear-token').click();
    await page.getByTestId('connection-save').click();
    await page.getByTestId('connection-editor').waitFor({ state: 'detached' });
    expect((await adminApi.getConnection(id)).secrets.token?.set ?? false).toBe(false);
    await metrics.getByTestId('connection-edit').click();
    await page.getByTestId('connection-secrets-token').fill('{{secret:prom_token}}');
    await page.getByTestId('connection-save').click();
    await page.getByTestId('connection-editor').waitFor({ state: 'detached' });
    expect((await adminApi.getConnection(id)).secrets.token).toEqual({ set: true });
    expect(await page.content()).not.toContain('{{secret:prom_token}}');

    // a second connection to a port nothing listens on
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    await page.getByTestId('connection-new').click();
    await page.getByTestId('connection-processor').selectOption('prometheus');
    await page.getByTestId('connection-name').fill('metrics_old');
    await page.getByTestId('connection-config-url').fill(deadUrl);
    await page.getByTestId('connection-save').click();
    const old = row(page, 'connection-row', 'metrics_old');
    await old.waitFor();

    // ---- Test: relayed to the runtime like a cell run; real Prometheus answers
    await metrics.getByTestId('connection-test').click();
    const result = metrics.getByTestId('connection-test-result');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.getAttribute('data-ok')).toBe('true');
    expect(await result.textContent()).toMatch(/^✓ metrics: connected/);
    await old.getByTestId('connection-test').click();
    const failed = old.getByTestId('connection-test-result');
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.getAttribute('data-ok')).toBe('false');
    expect(await failed.textContent()).toContain('metrics_old');

    // ---- default per type: one at a time
    await metrics.getByTestId('connection-set-default').click();
    await expect
      .poll(() => metrics.getByTestId('connection-default').textContent())
      .toBe('default');
    await old.getByTestId('connection-set-default').click();
    await expect.poll(() => old.getByTestId('connection-default').textContent()).toBe('default');
    await expect.poll(() => metrics.getByTestId('connection-set-default').count()).toBe(1);
    await metrics.getByTestId('connection-set-default').click();
    await expect
      .poll(() => metrics.getByTestId('connection-default').textContent())
      .toBe('default');

    // ---- a viewer, invited, sees names and types only
    const invitation = await adminApi.members.invite(workspace!.id, { role: 'viewer' });
    const viewerErrors: string[] = [];
    const viewer = await newPage(viewerErrors);
    await viewer.goto(invitation.url);
    await viewer.getByTestId('invite-name').fill(VIEWER.name);
    await viewer.getByTestId('invite-email').fill(VIEWER.email);
    await viewer.getByTestId('invite-password').fill(VIEWER.password);
    await viewer.getByTestId('invite-submit').click();
    await expect.poll(() => viewer.getByTestId('current-user').textContent()).toContain('Vic');
    expect(await viewer.getByTestId('nav-audit').count()).toBe(0);
    await viewer.getByTestId('nav-connections').click();
    await expect
      .poll(() =>
        viewer
          .getByTestId('connection-row')
          .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-name'))),
      )
      .toEqual(['metrics', 'metrics_old']);
    expect(
      await row(viewer, 'connection-row', 'metrics').getByTestId('connection-type').textContent(),
    ).toBe('Prometheus');
    for (const control of [
      'connection-edit',
      'connection-test',
      'connection-delete',
      'connection-set-default',
      'connection-new',
    ]) {
      expect(await viewer.getByTestId(control).count(), control).toBe(0);
    }
    const viewerHtml = await viewer.content();
    expect(viewerHtml).not.toContain(prometheus.url);
    expect(viewerHtml).not.toContain(deadUrl);
    await viewer.getByTestId('nav-secrets').click();
    await viewer.getByTestId('secrets-forbidden').waitFor();
    expect(await viewer.getByTestId('secret-row').count()).toBe(0);
    expect(await viewer.content()).not.toContain('prom_token');

    // ---- a child workspace lists the parent's connections as inherited
    await adminApi.createWorkspace({ name: 'Payments', parentId: workspace!.id });
    await page.reload();
    await page.getByTestId('connections-workspace').selectOption({ label: 'Payments' });
    const inherited = row(page, 'connection-row', 'metrics').getByTestId('connection-inherited');
    await expect.poll(() => inherited.textContent()).toBe(`inherited from ${workspace!.name}`);
    // no notebook there yet, so no session to test in: the page says so
    await page.getByTestId('connection-test-unavailable').waitFor();
    await page.getByTestId('connections-workspace').selectOption({ label: workspace!.name });
    await old.waitFor();
    expect(await old.getByTestId('connection-inherited').count()).toBe(0);

    // ---- delete, after confirming
    await old.getByTestId('connection-delete').click();
    await old.getByTestId('connection-delete-confirm').waitFor();
    expect(await old.count()).toBe(1); // nothing happened yet
    await old.getByTestId('connection-delete-yes').click();
    await expect.poll(() => old.count()).toBe(0);
    expect((await adminApi.listConnections(workspace!.id)).map((c) => c.name)).toEqual(['metrics']);

    // more changes than a page holds (50), to page through
    for (let i = 0; i < 56; i++) await adminApi.updateConnection(id, { isDefault: i % 2 === 1 });

    // ---- the audit log: those changes by name, no values, the chain verified
    await page.getByTestId('nav-audit').click();
    expect(await page.title()).toBe('Audit log · SPIN');
    await expect
      .poll(() => page.getByTestId('audit-chain').getAttribute('data-state'))
      .toBe('verified');
    await page.getByTestId('audit-filter-action').fill('connection.created');
    await page.getByTestId('audit-apply').click();
    await expect
      .poll(() =>
        page
          .getByTestId('audit-row')
          .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-action'))),
      )
      .toEqual(['connection.created', 'connection.created']);
    const created = await page.getByTestId('audit-data').allTextContents();
    expect(created.join('\n')).toContain('metrics');

    // paged, oldest first: 50 a page, Next and Previous
    const seqs = () =>
      page.getByTestId('audit-row').evaluateAll((rs) => rs.map((r) => Number(r.dataset.seq)));
    await page.getByTestId('audit-filter-action').fill('connection.updated');
    await page.getByTestId('audit-apply').click();
    await expect.poll(async () => (await seqs()).length).toBe(50);
    const first = await seqs();
    expect(first).toEqual([...first].sort((a, b) => a - b));
    expect(await page.getByTestId('audit-prev').isDisabled()).toBe(true);
    await page.getByTestId('audit-next').click();
    await expect.poll(() => page.getByTestId('audit-page').textContent()).toBe('Page 2');
    await expect.poll(async () => (await seqs())[0]! > first[49]!).toBe(true);
    const second = await seqs();
    expect(second.length).toBeGreaterThanOrEqual(56 + 4 - 50); // and the UI's own updates
    expect(second.length).toBeLessThan(50);
    expect(await page.getByTestId('audit-next').isDisabled()).toBe(true);
    await page.getByTestId('audit-prev').click();
    await expect.poll(seqs).toEqual(first);

    await page.getByTestId('audit-filter-action').fill('');
    await page.getByTestId('audit-apply').click();
    await expect
      .poll(async () => {
        const actions = await page.getByTestId('audit-action').allTextContents();
        return [
          'secret.created',
          'connection.created',
          'connection.updated',
          'connection.deleted',
        ].every((a) => actions.includes(a));
      })
      .toBe(true);
    const auditHtml = await page.content();
    expect(auditHtml).not.toContain(SECRET_VALUE);
    expect(auditHtml).not.toContain(prometheus.url);
    expect(auditHtml).not.toContain('{{secret:prom_token}}');

    // the export link carries the filter and downloads the same entries as JSON lines
    await page.getByTestId('audit-filter-action').fill('secret.created');
    await page.getByTestId('audit-apply').click();
    const href = await page.getByTestId('audit-export').getAttribute('href');
    expect(href).toBe('/api/v1/audit/export?action=secret.created');
    const ndjson = await page.evaluate(async (u) => (await fetch(u)).text(), href!);
    const lines = ndjson
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(lines.map((e) => [e.action, e.data.name])).toEqual([
      ['secret.created', 'prom_token'],
      ['secret.created', 'prom_env'],
      ['secret.created', 'prom_vault'],
    ]);
    expect(ndjson).not.toContain(SECRET_VALUE);

    expect(adminErrors).toEqual([]);
    expect(viewerErrors).toEqual([]);
  });
});
