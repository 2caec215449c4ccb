import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateSigningKey,
  importKey,
  jwksThumbprint,
  signPairingGrant,
  type KeyPairJwk,
} from '@spin/protocol';
import { resetPairing } from '../src/index.js';
import { ISSUER, METRICS_TOKEN, ORIGIN, pair, startPaired, type Harness } from './fixtures.js';

const NEW_ISSUER = 'http://new-server.test';

/**
 * Issue 5 finding 1 (last bullet) and 5: `/v1/pair` authenticates before it reads the body;
 * once paired, pairing again needs SPIN_TOKEN *and* a pairing grant from the paired server.
 */
describe('pairing a runtime again', () => {
  let h: Harness;
  let next: KeyPairJwk;
  const pairingJson = () => readFileSync(join(h.home, 'pairing.json'), 'utf8');

  beforeAll(async () => {
    h = await startPaired({ metricsToken: METRICS_TOKEN });
    next = await generateSigningKey();
  });
  afterAll(() => h.close());

  /** A grant as the currently paired server mints it (signed by `signer`). */
  async function grant(
    over: { signer?: KeyPairJwk; origins?: string[]; aud?: string; jwks?: KeyPairJwk } = {},
  ) {
    const signer = over.signer ?? h.server.key;
    return signPairingGrant(
      {
        iss: ISSUER,
        aud: over.aud ?? h.rt.identity.runtimeId,
        sub: 'usr_owner',
        server: {
          issuer: NEW_ISSUER,
          jwks: await jwksThumbprint({ keys: [(over.jwks ?? next).publicJwk] }),
        },
        origins: over.origins ?? ['http://new-ui.test'],
      },
      await importKey(signer.privateJwk, 'EdDSA'),
      signer.publicJwk.kid,
    );
  }

  const body = (extra: object = {}) => ({
    server: { issuer: NEW_ISSUER, jwks: { keys: [next.publicJwk] } },
    allowedOrigins: ['http://new-ui.test'],
    ...extra,
  });

  it('answers 401 for a wrong token before looking at a missing or broken body', async () => {
    const noBody = await fetch(`${h.rt.url}/v1/pair`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong-token-wrong-token' },
    });
    expect(noBody.status).toBe(401);
    expect(await noBody.json()).toMatchObject({ error: { code: 'auth.token_invalid' } });
    const broken = await pair(h.rt.url, 'wrong-token-wrong-token', '{nope');
    expect(broken.status).toBe(401);
    const missing = await pair(h.rt.url, undefined, '');
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'auth.token_missing' } });
  });

  it('refuses the token alone once paired, leaving the pairing as it was', async () => {
    const before = pairingJson();
    const res = await pair(h.rt.url, h.rt.spinToken, body());
    expect(res.status).toBe(409);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('runtime.already_paired');
    expect(err.error.message).toContain('spin runtime --unpair');
    expect(pairingJson()).toBe(before);
  });

  it('refuses grants that are forged, for another runtime, other keys or other origins', async () => {
    const before = pairingJson();
    const cases: [string, Promise<string>, string][] = [
      ['forged', grant({ signer: await generateSigningKey() }), 'not signed'],
      ['other runtime', grant({ aud: 'rt_other' }), '"aud"'],
      ['other keys', grant({ jwks: await generateSigningKey() }), 'other server keys'],
      ['other origin', grant({ origins: ['http://elsewhere.test'] }), 'not in the grant'],
    ];
    for (const [name, g, why] of cases) {
      const res = await pair(h.rt.url, h.rt.spinToken, body({ grant: await g }));
      expect(res.status, name).toBe(403);
      const err = (await res.json()) as { error: { code: string; message: string } };
      expect(err.error.code, name).toBe('runtime.pairing_grant_invalid');
      expect(err.error.message, name).toContain(why);
    }
    // a valid grant with the wrong token is still a 401
    const noToken = await pair(h.rt.url, 'wrong-token-wrong-token', body({ grant: await grant() }));
    expect(noToken.status).toBe(401);
    expect(pairingJson()).toBe(before);
    expect(h.logs.text).toContain('pairing refused');
  });

  it('pairs again with the token and a grant from the paired server, once', async () => {
    const g = await grant();
    const res = await pair(h.rt.url, h.rt.spinToken, body({ grant: g }));
    expect(res.status).toBe(200);
    const stored = JSON.parse(pairingJson());
    expect(stored).toMatchObject({
      issuer: NEW_ISSUER,
      jwks: { keys: [expect.objectContaining({ kid: next.publicJwk.kid })] },
      allowedOrigins: ['http://new-ui.test'],
    });
    expect(h.logs.text).toContain('runtime re-paired');
    // the old UI origin is no longer allowed; the new one is
    const old = await fetch(`${h.rt.url}/healthz`, { headers: { origin: ORIGIN } });
    expect(old.headers.get('access-control-allow-origin')).toBeNull();

    // the same grant again (now also signed by a key the runtime no longer trusts) is refused
    const before = pairingJson();
    const replay = await pair(h.rt.url, h.rt.spinToken, body({ grant: g }));
    expect(replay.status).toBe(403);
    expect(pairingJson()).toBe(before);
  });

  it('refuses a replayed grant even from the paired server', async () => {
    // the runtime now trusts `next`: a grant it signs is the current server's
    const signed = await signPairingGrant(
      {
        iss: NEW_ISSUER,
        aud: h.rt.identity.runtimeId,
        sub: 'usr_owner',
        server: { issuer: NEW_ISSUER, jwks: await jwksThumbprint({ keys: [next.publicJwk] }) },
        origins: ['http://new-ui.test'],
      },
      await importKey(next.privateJwk, 'EdDSA'),
      next.publicJwk.kid,
    );
    expect((await pair(h.rt.url, h.rt.spinToken, body({ grant: signed }))).status).toBe(200);
    const again = await pair(h.rt.url, h.rt.spinToken, body({ grant: signed }));
    expect(again.status).toBe(403);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain(
      'already used',
    );
  });

  it('lets the operator reset the pairing on the runtime host; then the token suffices', async () => {
    await h.rt.close();
    expect(resetPairing(h.home)).toBe(true);
    expect(existsSync(join(h.home, 'pairing.json'))).toBe(false);
    expect(resetPairing(h.home)).toBe(false);
    await h.restart();
    expect(h.rt.identity.paired).toBe(false);
    const res = await pair(h.rt.url, h.rt.spinToken, {
      server: { issuer: ISSUER, jwks: { keys: [h.server.key.publicJwk] } },
      allowedOrigins: [ORIGIN],
    });
    expect(res.status).toBe(200);
    expect(h.rt.identity.paired).toBe(true);
  });

  it('serves /metrics only with SPIN_METRICS_TOKEN', async () => {
    const missing = await fetch(`${h.rt.url}/metrics`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'auth.token_missing' } });
    const wrong = await fetch(`${h.rt.url}/metrics`, {
      headers: { authorization: 'Bearer nope-nope-nope-nope' },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'auth.token_invalid' } });
    const ok = await fetch(`${h.rt.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('spin_runtime_');
    expect(h.logs.text).not.toContain(METRICS_TOKEN);
  });
});

describe('metrics on a runtime without SPIN_METRICS_TOKEN', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPaired();
  });
  afterAll(() => h.close());

  it('are off: 404 metrics.disabled, naming the variable', async () => {
    const res = await fetch(`${h.rt.url}/metrics`);
    expect(res.status).toBe(404);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('metrics.disabled');
    expect(err.error.message).toContain('SPIN_METRICS_TOKEN');
  });
});
