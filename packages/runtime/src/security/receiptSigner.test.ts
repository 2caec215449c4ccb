import { describe, expect, it } from 'vitest';
import { generateSigningKey, importKey, signReceipt, verifyReceipt } from '@spin/protocol';
import { signReceiptFast } from './receiptSigner.js';

const claims = {
  iss: 'rt_1',
  jti: 'j_1',
  cell: 'c1',
  sid: 'ses_1',
  sub: 'usr_1',
  notebook: 'nb_1',
  status: 'ok' as const,
  startedAt: '2026-12-02T12:00:00.000Z',
  endedAt: '2026-12-02T12:00:01.000Z',
  seqFirst: 1,
  seqLast: 3,
  outputCount: 1,
  outputsSha256: 'a'.repeat(64),
  exitCode: null,
  executionCount: 7,
  iat: 1_800_000_000,
};

describe('signReceiptFast', () => {
  it("is byte for byte jose's receipt, and verifies as one", async () => {
    const pair = await generateSigningKey();
    const key = await importKey(pair.privateJwk, 'EdDSA');
    const fast = signReceiptFast(claims, key, pair.publicJwk.kid);
    expect(fast).toBe(await signReceipt(claims, key, pair.publicJwk.kid));
    expect(await verifyReceipt(fast, pair.publicJwk)).toMatchObject({ jti: 'j_1', status: 'ok' });
  });

  it('refuses claims the schema refuses, as signReceipt does', async () => {
    const pair = await generateSigningKey();
    const key = await importKey(pair.privateJwk, 'EdDSA');
    expect(() => signReceiptFast({ ...claims, jti: '' }, key, pair.publicJwk.kid)).toThrow();
  });
});
