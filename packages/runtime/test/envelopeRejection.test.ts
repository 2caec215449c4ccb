import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactEncrypt, CompactSign, SignJWT, base64url, type JWK } from 'jose';
import {
  WS_CLOSE,
  PROGRAM_JWS_TYP,
  generateEncryptionKey,
  generateSigningKey,
  importKey,
  type ProgramClaims,
} from '@spin/protocol';
import { METRICS_TOKEN, TestClient, startPaired, type Harness } from './fixtures.js';

describe('programs the runtime must refuse (and never run)', () => {
  let h: Harness;
  let client: TestClient;

  /** Sign arbitrary JWS header/claims with the server key and encrypt them to the runtime. */
  async function encryptJws(jws: string): Promise<string> {
    const enc = h.rt.identity.keys.encryption;
    return new CompactEncrypt(new TextEncoder().encode(jws))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: enc.kid })
      .encrypt(await importKey(enc as JWK, 'ECDH-ES+A256KW'));
  }
  async function signedJws(claims: ProgramClaims): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'EdDSA', kid: h.server.key.publicJwk.kid, typ: PROGRAM_JWS_TYP })
      .sign(await importKey(h.server.key.privateJwk, 'EdDSA'));
  }
  const code = { kind: 'kernel', kernel: 'python3', code: 'print("should never run")' } as const;

  async function rejectedWith(envelope: string): Promise<string> {
    const reply = await client.execute(envelope);
    return reply.type === 'error' ? reply.code : reply.type;
  }

  beforeAll(async () => {
    h = await startPaired({ metricsToken: METRICS_TOKEN });
    client = await TestClient.session(h.rt.url, await h.server.token());
    // one legitimate run, so a kernel is live and would receive anything that slipped through
    await client.run(await h.server.python('x = 1'));
    expect(h.rt.kernels.totalExecuteRequests).toBe(1);
  });
  afterAll(async () => {
    client.close();
    await h.close();
  });

  it.each([
    [
      'tampered ciphertext',
      'envelope.decrypt_failed',
      async () => {
        const parts = (await h.server.seal(h.server.claims(code))).split('.');
        const ct = parts[3]!;
        parts[3] = (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1);
        return parts.join('.');
      },
    ],
    [
      'tampered signature',
      'envelope.signature_invalid',
      async () => {
        const [hd, p, s] = (await signedJws(h.server.claims(code))).split('.');
        const sig = base64url.decode(s!);
        sig[0] = sig[0]! ^ 1;
        return encryptJws([hd, p, base64url.encode(sig)].join('.'));
      },
    ],
    [
      'sealed for another runtime',
      'envelope.wrong_recipient',
      async () => {
        const other = await generateEncryptionKey();
        const identity = {
          ...h.rt.identity,
          keys: { ...h.rt.identity.keys, encryption: other.publicJwk },
        };
        return h.server.seal(h.server.claims(code), h.server.key, identity);
      },
    ],
    [
      'addressed to another runtime (aud) but encrypted to this one',
      'envelope.audience_mismatch',
      async () => h.server.seal(h.server.claims(code, { aud: 'rt_other' })),
    ],
    [
      'signed by another server key',
      'envelope.unknown_signer',
      async () => h.server.seal(h.server.claims(code), await generateSigningKey()),
    ],
    [
      'expired',
      'envelope.expired',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return h.server.seal(h.server.claims(code, { iat: now - 400, exp: now - 100 }));
      },
    ],
    [
      'alg none inner JWS',
      'envelope.alg_not_allowed',
      async () => {
        const payload = base64url.encode(JSON.stringify(h.server.claims(code)));
        const header = base64url.encode(JSON.stringify({ alg: 'none', typ: PROGRAM_JWS_TYP }));
        return encryptJws(`${header}.${payload}.`);
      },
    ],
    [
      'HS256 inner JWS keyed with the public key',
      'envelope.alg_not_allowed',
      async () => {
        const jws = await new SignJWT(h.server.claims(code))
          .setProtectedHeader({
            alg: 'HS256',
            typ: PROGRAM_JWS_TYP,
            kid: h.server.key.publicJwk.kid,
          })
          .sign(new TextEncoder().encode(h.server.key.publicJwk.x));
        return encryptJws(jws);
      },
    ],
    [
      'for another session than the token',
      'runtime.token_session_mismatch',
      async () => h.server.seal(h.server.claims(code, { sid: 'ses_other' })),
    ],
    [
      'for another user than the token',
      'runtime.token_subject_mismatch',
      async () => h.server.seal(h.server.claims(code, { sub: 'usr_other' })),
    ],
    [
      'compressed ("zip": "DEF", which jose would inflate after decrypting)',
      'envelope.compression_not_allowed',
      async () => {
        const enc = h.rt.identity.keys.encryption;
        return new CompactEncrypt(new TextEncoder().encode(await signedJws(h.server.claims(code))))
          .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: enc.kid, zip: 'DEF' })
          .encrypt(await importKey(enc as JWK, 'ECDH-ES+A256KW'));
      },
    ],
    ['garbage', 'envelope.malformed', async () => 'not-a-jwe'],
  ])('%s → %s', async (_name, expected, make) => {
    expect(await rejectedWith(await make())).toBe(expected);
    expect(h.rt.kernels.totalExecuteRequests).toBe(1);
    expect(h.rt.kernels.spawnedCount).toBe(1);
  });

  it('rejects a replayed envelope after running it once', async () => {
    const env = await h.server.python('y = 2');
    await client.run(env);
    expect(h.rt.kernels.totalExecuteRequests).toBe(2);
    expect(await rejectedWith(env)).toBe('envelope.replayed');
    expect(h.rt.kernels.totalExecuteRequests).toBe(2);
  });

  it('refuses execute for a viewer token without the execute permission', async () => {
    const viewer = await TestClient.session(h.rt.url, await h.server.token({ perms: ['view'] }));
    const reply = await viewer.execute(await h.server.python('print(1)'));
    expect(reply).toMatchObject({ type: 'error', code: 'runtime.permission_required' });
    viewer.send({ type: 'interrupt', requestId: 'i1' });
    expect(await viewer.next((m) => m.type === 'error' && m.requestId === 'i1')).toMatchObject({
      code: 'runtime.permission_required',
    });
    viewer.close();
    expect(h.rt.kernels.totalExecuteRequests).toBe(2);
  });

  it("at the token's exp, says so and closes 4001", async () => {
    const shortLived = await TestClient.session(h.rt.url, await h.server.token({ ttlS: 1 }));
    expect(await shortLived.closed()).toBe(WS_CLOSE.tokenExpired);
    expect(shortLived.messages.at(-1)).toMatchObject({ type: 'error', code: 'auth.token_expired' });
    expect(h.rt.kernels.totalExecuteRequests).toBe(2);
  });

  it('refuses a hello whose token expired moments ago (jose alone allows 30 s)', async () => {
    const c = await TestClient.connect(h.rt.url);
    c.send({
      type: 'hello',
      token: await h.server.token({ exp: Math.floor(Date.now() / 1000) - 5 }),
    });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'auth.token_expired' });
    expect(await c.closed()).toBe(WS_CLOSE.tokenExpired);
  });

  it('counts rejections by code in /metrics', async () => {
    const text = await (
      await fetch(`${h.rt.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    expect(text).toMatch(/spin_runtime_envelope_rejections_total\{code="envelope.replayed"\} 1/);
    expect(text).toMatch(/spin_runtime_executions_total\{status="ok"\} 2/);
    expect(text).toMatch(/spin_runtime_active_kernels 1/);
  });
});
