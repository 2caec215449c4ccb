import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeProtectedHeader, type JWK } from 'jose';
import * as joseEnvelope from '../envelope.js';
import { generateEncryptionKey, generateSigningKey, importKey } from '../keys.js';
import type { CredentialBundleClaims } from '../credentials.js';
import type { ProgramClaims } from '../program.js';
import * as fastEnvelope from './index.js';
import { concatKdf } from './fastEnvelope.js';

function claims(): ProgramClaims {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'http://server',
    aud: 'rt_A',
    sub: 'usr_1',
    sid: 'ses_1',
    cell: 'c1',
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + 60,
    notebook: 'nb_1',
    program: { kind: 'kernel', kernel: 'python3', code: 'print("ünïcode ✓")' },
    limits: { timeoutMs: 60_000, outputBytes: 1_000_000 },
  };
}

function bundle(): CredentialBundleClaims {
  return {
    iss: 'http://server',
    aud: 'rt_A',
    jti: crypto.randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    version: 7,
    connections: [],
    secrets: [
      {
        id: 'sec_1',
        name: 'DB_PASSWORD',
        workspaceId: 'ws_1',
        version: 1,
        ref: { storeType: 'spin_store' },
        value: 'hunter2',
      },
    ],
  };
}

async function keys() {
  const server = await generateSigningKey();
  const runtime = await generateEncryptionKey();
  return {
    server,
    runtime,
    seal: {
      signingKey: await importKey(server.privateJwk, 'EdDSA'),
      signingKid: server.publicJwk.kid,
      recipientKey: await importKey(runtime.publicJwk as JWK, 'ECDH-ES+A256KW'),
      recipientKid: runtime.publicJwk.kid,
    },
    open: {
      decryptionKey: await importKey(runtime.privateJwk, 'ECDH-ES+A256KW'),
      decryptionKid: runtime.publicJwk.kid,
      serverJwks: { keys: [server.publicJwk] },
      audience: 'rt_A',
    },
  };
}

const directions = [
  ['node:crypto seal → jose open', fastEnvelope, joseEnvelope],
  ['jose seal → node:crypto open', joseEnvelope, fastEnvelope],
] as const;

describe.each(directions)('%s', (_name, sealer, opener) => {
  it('opens the other engine’s program, and its replay is still refused', async () => {
    const k = await keys();
    const c = claims();
    const jwe = await sealer.sealProgram(c, k.seal);
    const seen = new Set<string>();
    const claimJti = async (jti: string) => (seen.has(jti) ? false : (seen.add(jti), true));
    expect(await opener.openProgram(jwe, { ...k.open, claimJti })).toEqual(c);
    await expect(opener.openProgram(jwe, { ...k.open, claimJti })).rejects.toMatchObject({
      code: 'envelope.replayed',
    });
  });

  it('opens the other engine’s credential bundle', async () => {
    const k = await keys();
    const b = bundle();
    const jwe = await sealer.sealCredentialBundle(b, k.seal);
    expect(await opener.openCredentialBundle(jwe, k.open)).toEqual(b);
  });
});

describe('node:crypto seal', () => {
  it('writes the same headers as jose, in the same order', async () => {
    const k = await keys();
    const c = claims();
    const [fast, slow] = [
      await fastEnvelope.sealProgram(c, k.seal),
      await joseEnvelope.sealProgram(c, k.seal),
    ];
    const shape = (jwe: string) => {
      const h = decodeProtectedHeader(jwe) as Record<string, unknown>;
      const epk = h.epk as Record<string, unknown>;
      return { keys: Object.keys(h), epk: Object.keys(epk), h: { ...h, epk: { ...epk, x: '' } } };
    };
    expect(shape(fast)).toEqual(shape(slow));
    expect(shape(fast).h).toEqual({
      alg: 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      kid: k.runtime.publicJwk.kid,
      cty: 'JWT',
      epk: { x: '', crv: 'X25519', kty: 'OKP' },
    });
    expect(fast.split('.').map((p) => p.length)).toEqual(slow.split('.').map((p) => p.length));
  });

  it('accepts JWKs and KeyObjects as well as CryptoKeys, and refuses the wrong kind of key', async () => {
    const k = await keys();
    const c = claims();
    const jwe = await fastEnvelope.sealProgram(c, {
      ...k.seal,
      signingKey: k.server.privateJwk,
      recipientKey: k.runtime.publicJwk as JWK,
    });
    const opened = await joseEnvelope.openProgram(jwe, {
      ...k.open,
      claimJti: async () => true,
    });
    expect(opened.jti).toBe(c.jti);
    const again = await fastEnvelope.openProgram(jwe, {
      ...k.open,
      decryptionKey: createPrivateKey({ key: k.runtime.privateJwk as never, format: 'jwk' }),
      claimJti: async () => true,
    });
    expect(again.jti).toBe(c.jti);
    await expect(
      fastEnvelope.sealProgram(claims(), { ...k.seal, signingKey: k.runtime.privateJwk }),
    ).rejects.toThrow(/expected a private ed25519 key/);
  });
});

describe('Concat KDF', () => {
  it('derives RFC 7518 Appendix C’s key from its ECDH-ES example', () => {
    // RFC 7518 Appendix C: Alice's ephemeral P-256 key, Bob's static key, ECDH-ES direct
    // agreement for A128GCM with apu "Alice" and apv "Bob".
    const alice = createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: 'gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0',
        y: 'SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps',
        d: '0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo',
      },
    });
    const bob = createPublicKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: 'weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ',
        y: 'e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck',
      },
    });
    const z = diffieHellman({ privateKey: alice, publicKey: bob });
    expect([...z.subarray(0, 4)]).toEqual([158, 86, 217, 29]);
    const derived = concatKdf(z, 'A128GCM', 128, Buffer.from('Alice'), Buffer.from('Bob'));
    expect(derived.toString('base64url')).toBe('VqqN6vgjbSBcIijNcacQGg');
  });
});
