import { describe, expect, it } from 'vitest';
import { CompactEncrypt, CompactSign, SignJWT, base64url, type JWK } from 'jose';
import { generateEncryptionKey, generateSigningKey, importKey, type KeyPairJwk } from './keys.js';
import * as joseEnvelope from './envelope.js';
import { PROGRAM_JWS_TYP } from './envelope.js';
import * as fastEnvelope from './node/index.js';
import type { CredentialBundleClaims } from './credentials.js';
import type { ProgramClaims } from './program.js';
import { SpinError } from './errors.js';

interface Fixture {
  server: KeyPairJwk;
  runtime: KeyPairJwk;
  other: KeyPairJwk;
}

async function fixture(): Promise<Fixture> {
  return {
    server: await generateSigningKey(),
    runtime: await generateEncryptionKey(),
    other: await generateSigningKey(),
  };
}

function claims(over: Partial<ProgramClaims> = {}): ProgramClaims {
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
    program: { kind: 'kernel', kernel: 'python3', code: 'print(1)' },
    limits: { timeoutMs: 60_000, outputBytes: 1_000_000 },
    ...over,
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SpinError) return e.code;
    throw e;
  }
  return 'accepted';
}

// Both engines run the whole matrix: the jose engine (browsers) and node:crypto (server, runtime).
const engines = [
  ['jose', joseEnvelope],
  ['node:crypto', fastEnvelope],
] as const;

describe.each(engines)('%s envelopes', (_name, impl) => {
  const { openCredentialBundle, openProgram, sealCredentialBundle, sealProgram } = impl;

  async function seal(f: Fixture, c: ProgramClaims, signer = f.server): Promise<string> {
    return sealProgram(c, {
      signingKey: await importKey(signer.privateJwk, 'EdDSA'),
      signingKid: signer.publicJwk.kid,
      recipientKey: await importKey(f.runtime.publicJwk as JWK, 'ECDH-ES+A256KW'),
      recipientKid: f.runtime.publicJwk.kid,
    });
  }

  async function open(f: Fixture, jwe: string, seen = new Set<string>(), now?: number) {
    return openProgram(jwe, {
      decryptionKey: await importKey(f.runtime.privateJwk, 'ECDH-ES+A256KW'),
      decryptionKid: f.runtime.publicJwk.kid,
      serverJwks: { keys: [f.server.publicJwk] },
      audience: 'rt_A',
      ...(now !== undefined ? { now } : {}),
      claimJti: async (jti) => (seen.has(jti) ? false : (seen.add(jti), true)),
    });
  }

  describe('program envelopes', () => {
    it('round-trips a program and rejects the replay', async () => {
      const f = await fixture();
      const c = claims();
      const jwe = await seal(f, c);
      const seen = new Set<string>();
      expect((await open(f, jwe, seen)).program).toEqual(c.program);
      expect(await codeOf(open(f, jwe, seen))).toBe('envelope.replayed');
    });

    it('gives each forgery its own code', async () => {
      const f = await fixture();
      const jwe = await seal(f, claims());
      const parts = jwe.split('.');
      const ct = parts[3]!;
      const flipped = (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1);
      expect(await codeOf(open(f, [...parts.slice(0, 3), flipped, parts[4]].join('.')))).toBe(
        'envelope.decrypt_failed',
      );
      expect(await codeOf(open(f, await seal(f, claims(), f.other)))).toBe(
        'envelope.unknown_signer',
      );
      expect(await codeOf(open(f, await seal(f, claims({ aud: 'rt_B' }))))).toBe(
        'envelope.audience_mismatch',
      );
      const now = Math.floor(Date.now() / 1000);
      expect(await codeOf(open(f, await seal(f, claims({ iat: now - 400, exp: now - 100 }))))).toBe(
        'envelope.expired',
      );
      expect(await codeOf(open(f, 'garbage'))).toBe('envelope.malformed');
      const b64json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      for (const header of ['!!!!', b64json([1]), b64json('x'), b64json(null)]) {
        expect(await codeOf(open(f, [header, ...parts.slice(1)].join('.')))).toBe(
          'envelope.malformed',
        );
      }
      // a GCM tag cut to 12 bytes, and a ciphertext with a character outside base64url
      const tag12 = Buffer.from(parts[4]!, 'base64url').subarray(0, 12).toString('base64url');
      expect(await codeOf(open(f, [...parts.slice(0, 4), tag12].join('.')))).toBe(
        'envelope.decrypt_failed',
      );
      expect(await codeOf(open(f, [...parts.slice(0, 3), ct + '*', parts[4]].join('.')))).toBe(
        'envelope.decrypt_failed',
      );

      // tampered signature: re-encrypt a JWS whose signature bytes were changed
      const signer = await importKey(f.server.privateJwk, 'EdDSA');
      const rtPub = await importKey(f.runtime.publicJwk as JWK, 'ECDH-ES+A256KW');
      const encrypt = (jws: string, alg = 'ECDH-ES+A256KW') =>
        new CompactEncrypt(new TextEncoder().encode(jws))
          .setProtectedHeader({ alg, enc: 'A256GCM', kid: f.runtime.publicJwk.kid })
          .encrypt(rtPub);
      const good = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
        .setProtectedHeader({ alg: 'EdDSA', kid: f.server.publicJwk.kid, typ: PROGRAM_JWS_TYP })
        .sign(signer);
      const [h, p, s] = good.split('.');
      const sig = base64url.decode(s!);
      sig[0] = sig[0]! ^ 1;
      expect(await codeOf(open(f, await encrypt([h, p, base64url.encode(sig)].join('.'))))).toBe(
        'envelope.signature_invalid',
      );

      // alg none and HS256 downgrades
      const none =
        base64url.encode(JSON.stringify({ alg: 'none', typ: PROGRAM_JWS_TYP })) + '.' + p + '.';
      expect(await codeOf(open(f, await encrypt(none)))).toBe('envelope.alg_not_allowed');
      const hs = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', typ: PROGRAM_JWS_TYP, kid: f.server.publicJwk.kid })
        .sign(new TextEncoder().encode(f.server.publicJwk.x));
      expect(await codeOf(open(f, await encrypt(hs)))).toBe('envelope.alg_not_allowed');
    });

    it('rejects a program sealed for another runtime before decrypting', async () => {
      const f = await fixture();
      const g = { ...f, runtime: await generateEncryptionKey() };
      expect(await codeOf(open(f, await seal(g, claims())))).toBe('envelope.wrong_recipient');
    });
  });

  describe('compressed envelopes', () => {
    it('refuses a "zip" header before decrypting or inflating anything', async () => {
      const f = await fixture();
      const signer = await importKey(f.server.privateJwk, 'EdDSA');
      const rtPub = await importKey(f.runtime.publicJwk as JWK, 'ECDH-ES+A256KW');
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
        .setProtectedHeader({ alg: 'EdDSA', kid: f.server.publicJwk.kid, typ: PROGRAM_JWS_TYP })
        .sign(signer);
      const zipped = await new CompactEncrypt(new TextEncoder().encode(jws))
        .setProtectedHeader({
          alg: 'ECDH-ES+A256KW',
          enc: 'A256GCM',
          kid: f.runtime.publicJwk.kid,
          zip: 'DEF',
        })
        .encrypt(rtPub);
      // Count inflations: jose inflates through the global DecompressionStream.
      const Original = globalThis.DecompressionStream;
      let inflations = 0;
      globalThis.DecompressionStream = class extends Original {
        constructor(format: CompressionFormat) {
          inflations++;
          super(format);
        }
      };
      const claimed: string[] = [];
      try {
        const err = await openProgram(zipped, {
          decryptionKey: await importKey(f.runtime.privateJwk, 'ECDH-ES+A256KW'),
          decryptionKid: f.runtime.publicJwk.kid,
          serverJwks: { keys: [f.server.publicJwk] },
          audience: 'rt_A',
          claimJti: async (jti) => (claimed.push(jti), true),
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SpinError);
        expect((err as SpinError).code).toBe('envelope.compression_not_allowed');
        expect((err as SpinError).status).toBe(400);
      } finally {
        globalThis.DecompressionStream = Original;
      }
      expect(inflations).toBe(0);
      expect(claimed).toEqual([]);
    });
  });

  describe('credential bundle envelopes', () => {
    function bundle(over: Partial<CredentialBundleClaims> = {}): CredentialBundleClaims {
      return {
        iss: 'http://server',
        aud: 'rt_A',
        jti: crypto.randomUUID(),
        iat: Math.floor(Date.now() / 1000),
        version: 3,
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
        ...over,
      };
    }
    async function sealB(f: Fixture, c: CredentialBundleClaims): Promise<string> {
      return sealCredentialBundle(c, {
        signingKey: await importKey(f.server.privateJwk, 'EdDSA'),
        signingKid: f.server.publicJwk.kid,
        recipientKey: await importKey(f.runtime.publicJwk as JWK, 'ECDH-ES+A256KW'),
        recipientKid: f.runtime.publicJwk.kid,
      });
    }
    async function openB(f: Fixture, jwe: string, audience = 'rt_A') {
      return openCredentialBundle(jwe, {
        decryptionKey: await importKey(f.runtime.privateJwk, 'ECDH-ES+A256KW'),
        decryptionKid: f.runtime.publicJwk.kid,
        serverJwks: { keys: [f.server.publicJwk] },
        audience,
      });
    }

    it('round-trips a bundle and hides its values from the relay', async () => {
      const f = await fixture();
      const jwe = await sealB(f, bundle());
      expect(jwe).not.toContain('hunter2');
      expect(Buffer.from(jwe.split('.').join(''), 'base64url').toString('latin1')).not.toContain(
        'hunter2',
      );
      const opened = await openB(f, jwe);
      expect(opened.version).toBe(3);
      expect(opened.secrets[0]!.value).toBe('hunter2');
    });

    it('refuses a bundle for another runtime, and a program passed as a bundle or back', async () => {
      const f = await fixture();
      expect(await codeOf(openB(f, await sealB(f, bundle()), 'rt_B'))).toBe(
        'credentials.bundle_invalid',
      );
      expect(await codeOf(openB(f, await seal(f, claims())))).toBe('envelope.malformed');
      expect(await codeOf(open(f, await sealB(f, bundle())))).toBe('envelope.malformed');
    });

    it('refuses a tampered bundle and one signed by an unpaired key', async () => {
      const f = await fixture();
      const jwe = await sealB(f, bundle());
      const parts = jwe.split('.');
      const ct = Buffer.from(parts[3]!, 'base64url');
      ct[0] = ct[0]! ^ 1;
      parts[3] = ct.toString('base64url');
      expect(await codeOf(openB(f, parts.join('.')))).toBe('envelope.decrypt_failed');
      const forged = await sealCredentialBundle(bundle(), {
        signingKey: await importKey(f.other.privateJwk, 'EdDSA'),
        signingKid: f.other.publicJwk.kid,
        recipientKey: await importKey(f.runtime.publicJwk as JWK, 'ECDH-ES+A256KW'),
        recipientKid: f.runtime.publicJwk.kid,
      });
      expect(await codeOf(openB(f, forged))).toBe('envelope.unknown_signer');
    });
  });
});
