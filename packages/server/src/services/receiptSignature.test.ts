import {
  generateSigningKey,
  importKey,
  signReceipt,
  verifyReceipt,
  type ReceiptClaims,
} from '@spin/protocol';
import { CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import { receiptKey, verifyReceiptSignature } from './receiptSignature.js';

const claims: ReceiptClaims = {
  iss: 'rt_1',
  jti: 'j1',
  cell: 'c1',
  sid: 'ses_1',
  sub: 'usr_1',
  notebook: 'nb_1',
  status: 'ok',
  startedAt: '2026-11-25T10:00:00.000Z',
  endedAt: '2026-11-25T10:00:01.000Z',
  seqFirst: 1,
  seqLast: 4,
  outputCount: 0,
  outputsSha256: '0'.repeat(64),
  exitCode: null,
  iat: 1_800_000_000,
};

/** The code a verifier refuses with (or 'ok'). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

async function codeOfAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('verifyReceiptSignature', () => {
  it('accepts what the protocol verifier accepts and refuses the rest with the same code', async () => {
    const runtime = await generateSigningKey();
    const other = await generateSigningKey();
    const sk = await importKey(runtime.privateJwk, 'EdDSA');
    const good = await signReceipt(claims, sk, runtime.publicJwk.kid);
    const enc = new TextEncoder();
    const sign = (header: Record<string, unknown>, payload: unknown) =>
      new CompactSign(enc.encode(JSON.stringify(payload)))
        .setProtectedHeader(header as { alg: string })
        .sign(sk);
    const [h, p, s] = good.split('.') as [string, string, string];
    const cases: Record<string, string> = {
      good,
      otherKey: await signReceipt(claims, await importKey(other.privateJwk, 'EdDSA'), 'k'),
      flippedSignature: `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BA' : 'AA'}`,
      editedPayload: `${h}.${Buffer.from(JSON.stringify({ ...claims, status: 'error' })).toString('base64url')}.${s}`,
      wrongTyp: await sign({ alg: 'EdDSA', typ: 'JWT' }, claims),
      badClaims: await sign({ alg: 'EdDSA', typ: 'spin-receipt+jwt' }, { jti: 1 }),
      notJws: 'not.a-jws',
      twoParts: `${h}.${p}`,
      garbageHeader: `!!!.${p}.${s}`,
    };
    const key = receiptKey(runtime.publicJwk);
    for (const [name, receipt] of Object.entries(cases)) {
      const fast = codeOf(() => verifyReceiptSignature(receipt, key));
      const reference = await codeOfAsync(verifyReceipt(receipt, runtime.publicJwk));
      expect({ name, code: fast }).toEqual({ name, code: reference });
    }
    expect(verifyReceiptSignature(good, key)).toEqual(claims);
  });
});
