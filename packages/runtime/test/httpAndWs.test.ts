import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RuntimeIdentitySchema, RUNTIME_SUBPROTOCOL } from '@spin/protocol';
import { ISSUER, ORIGIN, TestClient, pair, startPaired, type Harness } from './fixtures.js';

/** Status code of a refused WebSocket upgrade. */
function upgradeStatus(url: string, protocols: string[], headers: Record<string, string> = {}) {
  return new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws`, protocols, { headers });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('error', (e) =>
      e.message.includes('Unexpected server response') ? undefined : reject(e),
    );
  });
}

describe('runtime HTTP and WebSocket boundary', () => {
  let h: Harness;
  let token: string;
  let envelope: string;

  beforeAll(async () => {
    h = await startPaired({ helloTimeoutMs: 300 });
    token = await h.server.token();
    envelope = await h.server.shell('echo logged');
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves healthz and identity', async () => {
    expect(await (await fetch(`${h.rt.url}/healthz`)).json()).toEqual({
      status: 'ok',
      runtimeId: h.rt.identity.runtimeId,
      paired: true,
    });
    const identity = RuntimeIdentitySchema.parse(
      await (await fetch(`${h.rt.url}/v1/identity`)).json(),
    );
    expect(identity.fingerprint).toMatch(/^SHA256:([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect(identity.paired).toBe(true);
    expect(JSON.stringify(identity)).not.toContain('"d"');
  });

  it('refuses pairing with a wrong or missing SPIN_TOKEN, and bad bodies', async () => {
    const body = { server: { issuer: ISSUER, jwks: { keys: [h.server.key.publicJwk] } } };
    const wrong = await pair(h.rt.url, 'x'.repeat(43), body);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'auth.token_invalid' } });
    const missing = await pair(h.rt.url, undefined, body);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'auth.token_missing' } });
    const malformed = await pair(h.rt.url, h.rt.spinToken, '{nope');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'request.malformed_json' } });
    const invalid = await pair(h.rt.url, h.rt.spinToken, { server: {} });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: 'request.invalid' } });
    const huge = await pair(h.rt.url, h.rt.spinToken, 'x'.repeat(2 * 1024 * 1024));
    expect(huge.status).toBe(413);
  });

  it('answers CORS only for allowed origins, and pairing preflights for any', async () => {
    const ok = await fetch(`${h.rt.url}/healthz`, { headers: { origin: ORIGIN } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const evil = await fetch(`${h.rt.url}/healthz`, {
      headers: { origin: 'http://evil.test' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    // the public identity is readable from any page: a UI compares the fingerprint before it
    // sends the pairing request (it holds only public keys)
    const identity = await fetch(`${h.rt.url}/v1/identity`, {
      headers: { origin: 'http://new-ui.test' },
    });
    expect(identity.headers.get('access-control-allow-origin')).toBe('http://new-ui.test');
    const pre = await fetch(`${h.rt.url}/v1/pair`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://new-ui.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://new-ui.test');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    // a refused pairing is readable cross-origin, so the UI can say why; it reveals nothing a
    // success/failure does not, and the token stays the protection
    const bad = await pair(h.rt.url, 'wrong-token-wrong-token', {}, 'http://new-ui.test');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('access-control-allow-origin')).toBe('http://new-ui.test');
    expect(await bad.json()).toMatchObject({ error: { code: 'auth.token_invalid' } });
    expect(h.rt.identity.paired).toBe(true);
    const stillRefused = await fetch(`${h.rt.url}/healthz`, {
      headers: { origin: 'http://new-ui.test' },
    });
    expect(stillRefused.headers.get('access-control-allow-origin')).toBeNull();
    const preEvil = await fetch(`${h.rt.url}/v1/blobs/b1`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'GET' },
    });
    expect(preEvil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('guards blobs with an access token', async () => {
    const ok = await fetch(`${h.rt.url}/v1/blobs/b1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(404);
    expect(await ok.json()).toMatchObject({ error: { code: 'blob.not_found' } });
    const bad = await fetch(`${h.rt.url}/v1/blobs/b1`, {
      headers: { authorization: 'Bearer abc' },
    });
    expect(bad.status).toBe(401);
    const none = await fetch(`${h.rt.url}/v1/blobs/b1`);
    expect(await none.json()).toMatchObject({ error: { code: 'auth.token_missing' } });
  });

  it('refuses upgrades without the subprotocol or from a disallowed Origin', async () => {
    expect(await upgradeStatus(h.rt.url, ['other'])).toBe(400);
    expect(
      await upgradeStatus(h.rt.url, [RUNTIME_SUBPROTOCOL], { origin: 'http://evil.test' }),
    ).toBe(403);
    expect(await upgradeStatus(h.rt.url, [RUNTIME_SUBPROTOCOL], { origin: ORIGIN })).toBe(101);
    expect(await upgradeStatus(h.rt.url, [RUNTIME_SUBPROTOCOL])).toBe(101);
  });

  it('closes unauthenticated sockets with 4401 / 4408', async () => {
    const noHello = await TestClient.connect(h.rt.url);
    noHello.send({ type: 'attach', lastSeq: 0 });
    expect(await noHello.closed()).toBe(4401);
    expect(noHello.messages[0]).toMatchObject({ type: 'error', code: 'auth.token_missing' });

    const badToken = await TestClient.connect(h.rt.url);
    badToken.send({ type: 'hello', token: 'eyJhbGciOiJFZERTQSJ9.e30.AAAA' });
    expect(await badToken.closed()).toBe(4401);
    expect(badToken.messages[0]).toMatchObject({ type: 'error', code: 'auth.token_invalid' });

    const otherAud = await TestClient.connect(h.rt.url);
    otherAud.send({ type: 'hello', token: await h.server.token({ aud: 'rt_other' }) });
    expect(await otherAud.closed()).toBe(4401);
    expect(otherAud.messages[0]).toMatchObject({ type: 'error', code: 'auth.token_invalid' });

    const silent = await TestClient.connect(h.rt.url);
    expect(await silent.closed()).toBe(4408);
    expect(silent.messages[0]).toMatchObject({ type: 'error', code: 'auth.token_missing' });
  });

  it('answers hostile input with clear codes and keeps the connection usable', async () => {
    const c = await TestClient.session(h.rt.url, token);
    /** Send raw text and return the code of the error it provokes. */
    const codeFor = async (raw: unknown) => {
      const mark = c.messages.length;
      c.send(raw);
      const reply = await c.next((m) => m.type === 'error', mark);
      return reply.type === 'error' ? reply.code : reply.type;
    };
    expect(await codeFor('{not json')).toBe('request.malformed_json');
    expect(await codeFor({ type: 'launch_missiles' })).toBe('request.invalid');
    expect(await codeFor('x'.repeat(9 * 1024 * 1024))).toBe('request.too_large');
    expect(await codeFor({ type: 'execute', requestId: 'r', envelope: 42 })).toBe(
      'request.invalid',
    );
    expect(await codeFor({ type: 'hello', token })).toBe('request.invalid');
    c.send({ type: 'ping', requestId: 'p1' });
    expect(await c.next((m) => m.type === 'pong')).toEqual({ type: 'pong', requestId: 'p1' });
    expect(c.closeCode).toBeNull();
    const events = await c.run(envelope);
    expect(events.at(-1)).toMatchObject({ type: 'cell_ended', data: { status: 'ok' } });
    c.close();
  });

  it('keeps key files private (0600 in a 0700 dir)', () => {
    const mode = (p: string) => statSync(join(h.home, p)).mode & 0o777;
    expect(mode('keys')).toBe(0o700);
    expect(mode('keys/signing.jwk.json')).toBe(0o600);
    expect(mode('keys/encryption.jwk.json')).toBe(0o600);
    expect(mode('pairing.json')).toBe(0o600);
    expect(mode('spin-token')).toBe(0o600);
    expect(mode('replay-cache.jsonl')).toBe(0o600);
  });

  it('never logs SPIN_TOKEN, access tokens or envelopes', () => {
    expect(h.logs.text).toContain('runtime paired');
    expect(h.logs.text).toContain('pairing refused');
    expect(h.logs.text).toContain('spin-token'); // the path of the generated token, not its value
    expect(h.logs.text).not.toContain(h.rt.spinToken);
    expect(h.logs.text).not.toContain(token);
    expect(h.logs.text).not.toContain(token.split('.')[2]!);
    expect(h.logs.text).not.toContain(envelope.split('.')[3]!);
  });
});
