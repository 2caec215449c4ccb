import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { RUNTIME_SUBPROTOCOL } from '@spin/protocol';
import { startRuntime, type RuntimeHandle } from '@spin/runtime';
import { startAll, type SpinInstance } from '../../src/index.js';
import { stackOptions } from '../fixtures.js';
import { makeTestPki, type TestPki } from '../tlsCerts.js';
import { launchChromium, signUpInBrowser } from './browserFixtures.js';

let dir: string;
let pki: TestPki;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'spin-tls-'));
  pki = makeTestPki(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HTTPS UI and a runtime over TLS, in a real browser', () => {
  let spin: SpinInstance;
  let browser: Browser;

  beforeAll(async () => {
    spin = await startAll({
      ...stackOptions(path.join(dir, 'stack')),
      tls: { cert: pki.selfSignedCert, key: pki.selfSignedKey },
    });
    // Chromium trusts exactly this certificate's key: no blanket "ignore certificate errors".
    browser = await launchChromium([`--ignore-certificate-errors-spki-list=${pki.selfSignedSpki}`]);
  });
  afterAll(async () => {
    await browser?.close();
    await spin?.close();
  });

  it('serves both tiers over TLS and runs a cell through wss://', async () => {
    expect(spin.url).toMatch(/^https:\/\/localhost:\d+$/);
    expect(spin.runtimeUrl).toMatch(/^https:\/\/localhost:\d+$/);
    const page = await browser.newPage();
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(spin.url);
    await signUpInBrowser(page);
    await page.getByTestId('new-notebook').click();
    await expect
      .poll(() => page.getByTestId('runtime-status').textContent(), { timeout: 20_000 })
      .toContain('connected');
    await page.getByTestId('cell').first().locator('.cm-content').click();
    await page.keyboard.type('print(6*7)');
    await page.keyboard.press('Shift+Enter');
    const cell = page.getByTestId('cell').first();
    await expect
      .poll(() => cell.getByTestId('cell-output').textContent(), { timeout: 30_000 })
      .toContain('42');
    await expect.poll(() => cell.getAttribute('data-status')).toBe('ok');
    expect(sockets.length).toBeGreaterThan(0);
    expect(
      sockets.every((u) => u.startsWith(`wss://localhost:${new URL(spin.runtimeUrl).port}/`)),
    ).toBe(true);
    // The session cookie is Secure when the UI is served over HTTPS.
    const cookies = await page.context().cookies(spin.url);
    expect(cookies.length).toBeGreaterThan(0);
    expect(cookies.every((c) => c.secure)).toBe(true);
  });
});

describe('mutual TLS on a runtime deployed on its own', () => {
  let rt: RuntimeHandle;
  const refusals: string[] = [];

  beforeAll(async () => {
    rt = await startRuntime({
      port: 0,
      home: path.join(dir, 'runtime-mtls'),
      banner: false,
      sandbox: 'none',
      logLevel: 'warn',
      logger: { write: (line: string) => void refusals.push(line) },
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
      tlsClientCa: pki.caCert,
    });
  });
  afterAll(async () => rt?.close());

  type Identity = { cert: string; key: string } | null;

  /** POST /v1/pair with the right SPIN_TOKEN, presenting `id` (or no certificate). */
  function pair(id: Identity): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${rt.url}/v1/pair`,
        {
          method: 'POST',
          ca: readPem(pki.caCert),
          ...(id ? { cert: readPem(id.cert), key: readPem(id.key) } : {}),
          headers: {
            authorization: `Bearer ${rt.spinToken}`,
            'content-type': 'application/json',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ server: { issuer: 'https://attacker.test', jwks: { keys: [] } } }));
    });
  }

  it('refuses a client without a certificate before any endpoint runs', async () => {
    await expect(pair(null)).rejects.toThrow(/certificate|socket hang up|ECONNRESET|alert/i);
    expect(rt.pairing).toBeNull();
    await expect.poll(() => refusals.join('')).toContain('auth.client_certificate_required');
  });

  it('refuses a certificate from a CA it does not trust', async () => {
    await expect(pair({ cert: pki.strangerCert, key: pki.strangerKey })).rejects.toThrow();
    expect(rt.pairing).toBeNull();
  });

  it('refuses a WebSocket without a certificate, accepts one with', async () => {
    const open = (id: Identity) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(rt.url.replace(/^https/, 'wss') + '/v1/ws', RUNTIME_SUBPROTOCOL, {
          ca: readPem(pki.caCert),
          ...(id ? { cert: readPem(id.cert), key: readPem(id.key) } : {}),
        });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('error', (e) => resolve(`error: ${e.message}`));
      });
    expect(await open(null)).toMatch(/^error:/);
    expect(await open({ cert: pki.clientCert, key: pki.clientKey })).toBe('open');
  });

  it('serves a client with a certificate from its CA', async () => {
    // The pairing request itself is refused (bad body), but it got through TLS to the endpoint.
    expect(await pair({ cert: pki.clientCert, key: pki.clientKey })).toBe(400);
  });
});

function readPem(file: string): Buffer {
  return readFileSync(file);
}
