import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { exportJWK, generateKeyPair, SignJWT, decodeProtectedHeader, decodeJwt } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OidcConfig } from '../src/config.js';
import { dbKinds, signUpAdmin, startTestServer, type TestServer } from './fixtures.js';

/** Groups each test account has at the identity provider. */
const GROUPS: Record<string, string[]> = {
  grace: ['sre', 'staff'],
  linus: ['platform'],
  mallory: [],
  replay: [],
};

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * A real OpenID Connect provider (npm `oidc-provider`) behind a loopback proxy. The provider's
 * issuer is the proxy's URL, so every request passes through it; with `forge` set, the proxy
 * replaces the ID token in token responses by the same claims signed with another key (and the
 * provider's key id) — a forged token on the wire.
 */
async function startIdp(clientId: string, clientSecret: string, redirectUrl: () => string) {
  const proxy = http.createServer();
  const proxyPort = await listen(proxy);
  const issuer = `http://127.0.0.1:${proxyPort}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signing = { ...(await exportJWK(privateKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUrl()],
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [signing] },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({
        sub: id,
        email: `${id}@corp.example`,
        email_verified: true,
        name: id[0]!.toUpperCase() + id.slice(1),
        groups: GROUPS[id] ?? [],
      }),
    }),
  });
  const upstream = http.createServer(provider.callback());
  const upstreamPort = await listen(upstream);
  const { privateKey: otherKey } = await generateKeyPair('RS256');
  const state = { forge: false };

  proxy.on('request', (req, res) => {
    const up = http.request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (ur) => {
        if (!(state.forge && req.url?.startsWith('/token') && ur.statusCode === 200)) {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', async () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id_token: string };
          const header = decodeProtectedHeader(body.id_token);
          body.id_token = await new SignJWT(decodeJwt(body.id_token))
            .setProtectedHeader({ alg: header.alg!, kid: header.kid! })
            .sign(otherKey);
          const text = JSON.stringify(body);
          res.writeHead(200, { ...ur.headers, 'content-length': Buffer.byteLength(text) });
          res.end(text);
        });
      },
    );
    req.pipe(up);
  });

  return {
    issuer,
    state,
    async close() {
      await new Promise((r) => proxy.close(r));
      await new Promise((r) => upstream.close(r));
    },
  };
}

/** A browser without JavaScript: a cookie jar per host, redirects and the IdP's HTML forms. */
class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name);
  }

  async fetch(url: URL, init: RequestInit = {}): Promise<Response> {
    const cookies = [...(this.jar.get(url.host) ?? new Map<string, string>())]
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        ...(cookies ? { cookie: cookies } : {}),
      },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some(
        (a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now(),
      );
      const jar = this.jar.get(url.host) ?? new Map<string, string>();
      this.jar.set(url.host, jar);
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  /**
   * Follow redirects from `start`, signing in at the IdP as `account` (its dev login and
   * consent forms), until the browser is sent to `callbackPrefix`; returns that URL unvisited.
   */
  async runToCallback(start: URL, account: string, callbackPrefix: string): Promise<URL> {
    let url = start;
    let init: RequestInit = {};
    for (let hop = 0; hop < 30; hop++) {
      const res = await this.fetch(url, init);
      init = {};
      if (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get('location')!, url);
        if (url.href.startsWith(callbackPrefix)) return url;
        continue;
      }
      const html = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (res.status !== 200 || !action)
        throw new Error(`unexpected ${res.status} at ${url}: ${html}`);
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      const form = new URLSearchParams({ prompt: prompt ?? '' });
      if (prompt === 'login') {
        form.set('login', account);
        form.set('password', 'any password');
      }
      url = new URL(action.replace(/&amp;/g, '&'), url);
      init = {
        method: 'POST',
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      };
    }
    throw new Error('too many redirects');
  }
}

describe.each(dbKinds)('OpenID Connect single sign-on (%s)', (kind) => {
  let t: TestServer;
  let idp: Awaited<ReturnType<typeof startIdp>>;
  let base: string;
  let callback: string;

  const count = async (table: string) =>
    (
      (await t.server.services.database.db.execute(
        sql.raw(`select count(*)::int as n from ${table}`),
      )) as unknown as { rows: { n: number }[] }
    ).rows[0]!.n;
  const counts = async () => ({
    users: await count('users'),
    sessions: await count('auth_sessions'),
    identities: await count('user_identities'),
  });

  /** Start a sign-on at SPIN in `browser` and sign in at the IdP; returns the callback URL. */
  const signOn = (browser: Browser, account: string) =>
    browser.runToCallback(
      new URL(`${base}/api/v1/auth/oidc/login?returnTo=/notebooks`),
      account,
      callback,
    );

  beforeAll(async () => {
    // Pick SPIN's port first: the IdP registers its redirect URL before SPIN is configured.
    const probe = http.createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    base = `http://127.0.0.1:${port}`;
    callback = `${base}/api/v1/auth/oidc/callback`;
    idp = await startIdp('spin', 'spin-client-secret-0123456789', () => callback);
    const oidc: OidcConfig = {
      issuer: idp.issuer,
      clientId: 'spin',
      clientSecret: 'spin-client-secret-0123456789',
      redirectUrl: callback,
      scopes: 'openid email profile groups',
      groupsClaim: 'groups',
      groupRoles: { sre: 'editor', staff: 'viewer', platform: 'admin' },
      label: 'Sign in with Corp SSO',
    };
    t = await startTestServer(kind, { publicUrl: base, oidc });
    await t.server.app.listen({ port, host: '127.0.0.1' });
    await signUpAdmin(t);
  });
  afterAll(async () => {
    await t.close();
    await idp.close();
  });

  it('offers the sign-on button, creates the user, signs in and applies the group → role mapping', async () => {
    const state = await (await fetch(`${base}/api/v1/auth/state`)).json();
    expect(state).toEqual({
      signupOpen: false,
      sso: { label: 'Sign in with Corp SSO', loginUrl: '/api/v1/auth/oidc/login' },
    });

    const browser = new Browser();
    const before = await counts();
    const back = await signOn(browser, 'grace');
    expect(back.searchParams.get('code')).toBeTruthy();
    const res = await browser.fetch(back);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/notebooks');
    const host = new URL(base).host;
    expect(browser.cookie(host, 'spin_session')).toMatch(/^[\w-]{40,}$/);
    expect(browser.cookie(host, 'spin_oidc')).toBeUndefined();
    // The authorization code, the state and the session cookie never reach the logs.
    const logs = t.logs.join('');
    expect(logs).toContain('/api/v1/auth/oidc/callback');
    for (const secret of [
      back.searchParams.get('code')!,
      back.searchParams.get('state')!,
      browser.cookie(host, 'spin_session')!,
    ]) {
      expect(logs).not.toContain(secret);
    }

    const me = await browser.fetch(new URL(`${base}/api/v1/auth/me`));
    expect(me.status).toBe(200);
    expect((await me.json()).user).toMatchObject({
      email: 'grace@corp.example',
      name: 'Grace',
      orgRole: 'member',
    });
    // sre → editor and staff → viewer: the higher one wins, in the default workspace.
    const workspaces = await (await browser.fetch(new URL(`${base}/api/v1/workspaces`))).json();
    expect(workspaces).toMatchObject([{ id: expect.any(String), name: 'Default', role: 'editor' }]);
    expect(await counts()).toEqual({
      users: before.users + 1,
      sessions: before.sessions + 1,
      identities: before.identities + 1,
    });

    // The platform group maps to org admin.
    const admin = new Browser();
    await admin.fetch(await signOn(admin, 'linus'));
    const linus = await (await admin.fetch(new URL(`${base}/api/v1/auth/me`))).json();
    expect(linus.user).toMatchObject({ email: 'linus@corp.example', orgRole: 'admin' });

    // Signing in again finds the same user.
    const again = new Browser();
    await again.fetch(await signOn(again, 'grace'));
    const graceAgain = await (await again.fetch(new URL(`${base}/api/v1/auth/me`))).json();
    expect(graceAgain.user.id).toBe(
      (await (await browser.fetch(new URL(`${base}/api/v1/auth/me`))).json()).user.id,
    );
    expect(await count('users')).toBe(before.users + 2);
  });

  it('refuses a tampered state with sso.state_mismatch and creates no user or session', async () => {
    const browser = new Browser();
    const back = await signOn(browser, 'mallory');
    const before = await counts();
    back.searchParams.set('state', `${back.searchParams.get('state')}x`);
    const res = await browser.fetch(back);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('sso.state_mismatch');
    expect(await counts()).toEqual(before);
    expect(browser.cookie(new URL(base).host, 'spin_session')).toBeUndefined();

    // A callback in a browser that never started a sign-on is refused the same way.
    const stranger = new Browser();
    const res2 = await stranger.fetch(back);
    expect((await res2.json()).error.code).toBe('sso.state_mismatch');
    expect(await counts()).toEqual(before);
  });

  it('refuses a replayed authorization code with sso.code_rejected and creates no session', async () => {
    const browser = new Browser();
    const first = await signOn(browser, 'replay');
    expect((await browser.fetch(first)).status).toBe(302);
    const before = await counts();

    // A fresh sign-on in the same browser (valid state and cookie), but carrying the used code.
    const second = await signOn(browser, 'replay');
    second.searchParams.set('code', first.searchParams.get('code')!);
    const res = await browser.fetch(second);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('sso.code_rejected');
    expect(await counts()).toEqual(before);
  });

  it('refuses an ID token signed by another key with sso.id_token_invalid and creates nothing', async () => {
    const browser = new Browser();
    const back = await signOn(browser, 'mallory');
    const before = await counts();
    idp.state.forge = true;
    try {
      const res = await browser.fetch(back);
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('sso.id_token_invalid');
    } finally {
      idp.state.forge = false;
    }
    expect(await counts()).toEqual(before);
    const { rows } = (await t.server.services.database.db.execute(
      sql`select count(*)::int as n from users where email = 'mallory@corp.example'`,
    )) as unknown as { rows: { n: number }[] };
    expect(rows[0]!.n).toBe(0);

    const audit = (await t.server.services.audit.list({ all: true }, { after: 0, limit: 1000 }))
      .filter((e) => e.action === 'auth.login_failed')
      .map((e) => e.data.code);
    expect(audit).toEqual(
      expect.arrayContaining(['sso.state_mismatch', 'sso.code_rejected', 'sso.id_token_invalid']),
    );
  });
});
