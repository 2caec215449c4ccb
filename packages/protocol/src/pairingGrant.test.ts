import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, importKey, type KeyPairJwk } from './keys.js';
import {
  jwksThumbprint,
  PAIRING_GRANT_TYP,
  signPairingGrant,
  verifyPairingGrant,
} from './pairingGrant.js';

const ISSUER = 'http://server.test';

async function mint(key: KeyPairJwk, over: { aud?: string; iss?: string; ttlS?: number } = {}) {
  return signPairingGrant(
    {
      iss: over.iss ?? ISSUER,
      aud: over.aud ?? 'rt_1',
      sub: 'usr_1',
      server: { issuer: ISSUER, jwks: await jwksThumbprint({ keys: [key.publicJwk] }) },
      origins: ['http://ui.test'],
      ...(over.ttlS !== undefined ? { ttlS: over.ttlS } : {}),
    },
    await importKey(key.privateJwk, 'EdDSA'),
    key.publicJwk.kid,
  );
}

describe('pairing grants', () => {
  it('verify against the paired key and runtime id', async () => {
    const key = await generateSigningKey();
    const opts = { pairedJwks: { keys: [key.publicJwk] }, runtimeId: 'rt_1' };
    const claims = await verifyPairingGrant(await mint(key), opts);
    expect(claims).toMatchObject({ aud: 'rt_1', sub: 'usr_1', purpose: 'runtime.pair' });
    expect(claims.exp - claims.iat).toBe(300);

    const refused = async (grant: string, why: string) => {
      const err = await verifyPairingGrant(grant, opts).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'runtime.pairing_grant_invalid' });
      expect((err as Error).message).toContain(why);
    };
    await refused(await mint(await generateSigningKey()), 'not signed by the server');
    await refused(await mint(key, { aud: 'rt_2' }), '"aud"');
    // a server whose public URL changed still holds the paired key
    expect(
      (await verifyPairingGrant(await mint(key, { iss: 'http://moved.test' }), opts)).iss,
    ).toBe('http://moved.test');
    await refused('not.a.jwt', 'not signed');
  });

  it('refuses expired grants, grants living longer than 5 minutes and other token types', async () => {
    const key = await generateSigningKey();
    const opts = { pairedJwks: { keys: [key.publicJwk] }, runtimeId: 'rt_1' };
    const privateKey = await importKey(key.privateJwk, 'EdDSA');
    const base = {
      purpose: 'runtime.pair',
      server: { issuer: ISSUER, jwks: 'a'.repeat(64) },
      origins: [],
    };
    const now = Math.floor(Date.now() / 1000);
    const sign = (typ: string, iat: number, exp: number) =>
      new SignJWT(base)
        .setProtectedHeader({ alg: 'EdDSA', kid: key.publicJwk.kid, typ })
        .setIssuer(ISSUER)
        .setAudience('rt_1')
        .setSubject('usr_1')
        .setJti('j1')
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(privateKey);
    await expect(
      verifyPairingGrant(await sign(PAIRING_GRANT_TYP, now - 400, now - 60), opts),
    ).rejects.toThrow(/expired/);
    await expect(
      verifyPairingGrant(await sign(PAIRING_GRANT_TYP, now, now + 3600), opts),
    ).rejects.toThrow(/longer than 300/);
    await expect(
      verifyPairingGrant(await sign('spin-access+jwt', now, now + 60), opts),
    ).rejects.toThrow(/"typ"|not signed/);
    await expect(mint(key, { ttlS: 301 })).rejects.toThrow(RangeError);
  });

  it('thumbprints a JWKS by key material, not order or optional members', async () => {
    const a = (await generateSigningKey()).publicJwk;
    const b = (await generateSigningKey()).publicJwk;
    const t = await jwksThumbprint({ keys: [a, b] });
    expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(await jwksThumbprint({ keys: [b, { ...a, kid: 'renamed', use: 'sig' }] })).toBe(t);
    expect(await jwksThumbprint({ keys: [a] })).not.toBe(t);
  });
});
