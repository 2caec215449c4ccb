/// <reference types="node" />
import {
  KeyObject,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import type { JWK } from 'jose';
import { envelopeApi, type EnvelopeApi, type EnvelopeEngine } from '../envelope.js';
import { SpinError } from '../errors.js';
import { CONTENT_ENCRYPTION_ALG, KEY_MANAGEMENT_ALG, SIGNING_ALG } from '../keys.js';

/**
 * Node-only envelope engine on `node:crypto` directly: the same compact JWS-in-JWE (EdDSA,
 * ECDH-ES+A256KW with X25519, A256GCM) as the `jose` engine, byte-for-byte the same headers, and
 * the same checks and codes (they live in envelope.ts). Keys are converted to KeyObjects once and
 * cached, so a seal or an open does no key import beyond the ephemeral key it must read.
 */

/** A key as the fast path accepts it: a WebCrypto CryptoKey, a KeyObject, or a JWK. */
export type NodeKey = CryptoKey | KeyObject | JWK;

const B64URL = /^[A-Za-z0-9_-]*$/;
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex'); // RFC 3394 §2.2.3.1 default IV
const EMPTY = Buffer.alloc(0);
const CACHE_MAX = 1024;

const byObject = new WeakMap<object, KeyObject>();
/** Public JWKs by `crv:x` (a row read per request is a new object, its key material is not). */
const byPublicJwk = new Map<string, KeyObject>();

function keyObject(key: NodeKey, type: 'public' | 'private', kind: 'ed25519' | 'x25519') {
  let ko = byObject.get(key);
  if (!ko) {
    if (key instanceof KeyObject) ko = key;
    else if (typeof CryptoKey !== 'undefined' && key instanceof CryptoKey) ko = KeyObject.from(key);
    else {
      const jwk = key as JWK;
      const id = jwk.d === undefined ? `${String(jwk.crv)}:${String(jwk.x)}` : undefined;
      ko = id === undefined ? undefined : byPublicJwk.get(id);
      if (!ko) {
        // only the key material: `kid`, `alg`, `use` are not Node's business
        const material = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.d ? { d: jwk.d } : {}) };
        ko =
          jwk.d === undefined
            ? createPublicKey({ key: material as never, format: 'jwk' })
            : createPrivateKey({ key: material as never, format: 'jwk' });
        if (id !== undefined) {
          if (byPublicJwk.size >= CACHE_MAX) byPublicJwk.clear();
          byPublicJwk.set(id, ko);
        }
      }
    }
    byObject.set(key, ko);
  }
  if (ko.type !== type || ko.asymmetricKeyType !== kind) {
    throw new TypeError(`expected a ${type} ${kind} key, got a ${ko.type} ${ko.asymmetricKeyType}`);
  }
  return ko;
}

function b64(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString('base64url');
}

/** Strict base64url (Node's decoder silently skips foreign characters). */
function unb64(part: string): Buffer {
  if (!B64URL.test(part)) throw new TypeError('not base64url');
  return Buffer.from(part, 'base64url');
}

function lengthPrefixed(data: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.set(data, 4);
  return out;
}

/**
 * Concat KDF (NIST SP 800-56A §5.8.1 as profiled by RFC 7518 §4.6.2) with SHA-256, for keys of
 * at most 256 bits (one round): SHA-256(1 ‖ Z ‖ AlgorithmID ‖ PartyUInfo ‖ PartyVInfo ‖ keydatalen).
 */
export function concatKdf(
  z: Uint8Array,
  algorithmId: string,
  keyBits: number,
  apu: Uint8Array = EMPTY,
  apv: Uint8Array = EMPTY,
): Buffer {
  if (keyBits <= 0 || keyBits > 256 || keyBits % 8 !== 0) throw new RangeError('keyBits');
  const suppPub = Buffer.alloc(4);
  suppPub.writeUInt32BE(keyBits, 0);
  return createHash('sha256')
    .update(Buffer.from([0, 0, 0, 1]))
    .update(z)
    .update(lengthPrefixed(Buffer.from(algorithmId, 'ascii')))
    .update(lengthPrefixed(apu))
    .update(lengthPrefixed(apv))
    .update(suppPub)
    .digest()
    .subarray(0, keyBits / 8);
}

function partyInfo(header: Record<string, unknown>, name: 'apu' | 'apv'): Buffer {
  const v = header[name];
  if (v === undefined) return EMPTY;
  if (typeof v !== 'string') throw new TypeError(`${name} is not a string`);
  return unb64(v);
}

function ephemeralKey(epk: unknown): KeyObject {
  const e = epk as Record<string, unknown> | null;
  if (
    typeof e !== 'object' ||
    e === null ||
    e.kty !== 'OKP' ||
    e.crv !== 'X25519' ||
    typeof e.x !== 'string' ||
    'd' in e
  ) {
    throw new TypeError('epk is not a public X25519 JWK');
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: e.x }, format: 'jwk' });
}

const fastEngine: EnvelopeEngine<NodeKey> = {
  async seal(typ, payload, opts) {
    const signingKey = keyObject(opts.signingKey, 'private', 'ed25519');
    const recipient = keyObject(opts.recipientKey, 'public', 'x25519');
    const signingInput = `${b64(JSON.stringify({ alg: SIGNING_ALG, kid: opts.signingKid, typ }))}.${b64(payload)}`;
    const jws = `${signingInput}.${b64(sign(null, Buffer.from(signingInput), signingKey))}`;

    const eph = generateKeyPairSync('x25519');
    const x = eph.publicKey.export({ format: 'jwk' }).x;
    const header = b64(
      JSON.stringify({
        alg: KEY_MANAGEMENT_ALG,
        enc: CONTENT_ENCRYPTION_ALG,
        kid: opts.recipientKid,
        cty: 'JWT',
        epk: { x, crv: 'X25519', kty: 'OKP' },
      }),
    );
    const kek = concatKdf(
      diffieHellman({ privateKey: eph.privateKey, publicKey: recipient }),
      KEY_MANAGEMENT_ALG,
      256,
    );
    const cek = randomBytes(32);
    const wrap = createCipheriv('id-aes256-wrap', kek, KW_IV);
    const encryptedKey = Buffer.concat([wrap.update(cek), wrap.final()]);
    const iv = randomBytes(12);
    const gcm = createCipheriv('aes-256-gcm', cek, iv, { authTagLength: 16 });
    gcm.setAAD(Buffer.from(header, 'ascii'));
    const ciphertext = Buffer.concat([gcm.update(jws, 'ascii'), gcm.final()]);
    return `${header}.${b64(encryptedKey)}.${b64(iv)}.${b64(ciphertext)}.${b64(gcm.getAuthTag())}`;
  },

  async decrypt(jwe, header, opts) {
    // jose refuses any "crit" it does not understand, and it understands none for JWE
    if (header.crit !== undefined) throw new TypeError('crit is not supported');
    const [protectedHeader, ek, ivPart, ct, tagPart] = jwe.split('.') as [
      string,
      string,
      string,
      string,
      string,
    ];
    const privateKey = keyObject(opts.decryptionKey, 'private', 'x25519');
    const kek = concatKdf(
      diffieHellman({ privateKey, publicKey: ephemeralKey(header.epk) }),
      KEY_MANAGEMENT_ALG,
      256,
      partyInfo(header, 'apu'),
      partyInfo(header, 'apv'),
    );
    const encryptedKey = unb64(ek);
    const iv = unb64(ivPart);
    const tag = unb64(tagPart);
    if (encryptedKey.length !== 40 || iv.length !== 12 || tag.length !== 16) {
      throw new TypeError('bad key, iv or tag length');
    }
    const unwrap = createDecipheriv('id-aes256-wrap', kek, KW_IV);
    const cek = Buffer.concat([unwrap.update(encryptedKey), unwrap.final()]); // RFC 3394 integrity check
    const gcm = createDecipheriv('aes-256-gcm', cek, iv, { authTagLength: 16 });
    gcm.setAAD(Buffer.from(protectedHeader, 'ascii'));
    gcm.setAuthTag(tag);
    const plaintext = gcm.update(unb64(ct));
    gcm.final(); // throws unless the tag authenticates header, iv and ciphertext
    return plaintext;
  },

  decodeHeader(segment) {
    const header: unknown = JSON.parse(unb64(segment).toString('utf8'));
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      throw new TypeError('header is not a JSON object');
    }
    return header as Record<string, unknown>;
  },

  async verify(jws, header, jwks, noun) {
    const invalid = () =>
      new SpinError('envelope.signature_invalid', `${noun} signature is invalid`);
    if (header.crit !== undefined) throw invalid(); // as jose: no JWS extension is understood
    // The candidates jose's createLocalJWKSet would pick for an EdDSA header.
    const kid = header.kid;
    const candidates = jwks.keys.filter((k) => {
      const jwk = k as JWK;
      return (
        jwk.kty === 'OKP' &&
        jwk.crv === 'Ed25519' &&
        (kid === undefined || kid === jwk.kid) &&
        (typeof jwk.alg !== 'string' || jwk.alg === SIGNING_ALG) &&
        (typeof jwk.use !== 'string' || jwk.use === 'sig') &&
        (jwk.key_ops === undefined ||
          (Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify')))
      );
    });
    if (candidates.length === 0) {
      throw new SpinError(
        'envelope.unknown_signer',
        `${noun} was signed by a key this runtime is not paired with`,
      );
    }
    const dot = jws.lastIndexOf('.');
    const signingInput = jws.slice(0, dot);
    const payloadPart = signingInput.slice(signingInput.indexOf('.') + 1);
    let signature: Buffer;
    let payload: Buffer;
    try {
      signature = unb64(jws.slice(dot + 1));
      payload = unb64(payloadPart);
    } catch {
      throw invalid();
    }
    const data = Buffer.from(signingInput, 'ascii');
    for (const k of candidates) {
      if (verify(null, data, keyObject(k as JWK, 'public', 'ed25519'), signature)) return payload;
    }
    throw invalid();
  },
};

const fast: EnvelopeApi<NodeKey> = envelopeApi(fastEngine);

/** {@link import('../envelope.js').sealProgram} on `node:crypto`. */
export const sealProgram = fast.sealProgram;
/** {@link import('../envelope.js').sealCredentialBundle} on `node:crypto`. */
export const sealCredentialBundle = fast.sealCredentialBundle;
/** {@link import('../envelope.js').openProgram} on `node:crypto`: same checks, same codes. */
export const openProgram = fast.openProgram;
/** {@link import('../envelope.js').openCredentialBundle} on `node:crypto`. */
export const openCredentialBundle = fast.openCredentialBundle;
