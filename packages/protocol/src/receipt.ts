import { CompactSign, compactVerify, decodeProtectedHeader, type JWK } from 'jose';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonicalJson.js';
import { SpinError } from './errors.js';
import { SIGNING_ALG, importKey, type PublicJwk } from './keys.js';
import { CellStatusSchema, type Output } from './outputs.js';
import { ResourceIdSchema } from './strings.js';

/**
 * Execution receipts (DESIGN.md §1 step 7): signed by the runtime's Ed25519 key, relayed by
 * the client, verified by the server before it appends the run to the audit log.
 */
export const RECEIPT_TYP = 'spin-receipt+jwt';

/**
 * Claims of a receipt. Ids are {@link ResourceIdSchema}s and times ISO 8601: a receipt is read
 * (peeked) before its signature can be checked, so nothing in it may reach a query or a Date
 * unvalidated.
 */
export const ReceiptClaimsSchema = z.object({
  /** Runtime id. */
  iss: ResourceIdSchema,
  jti: ResourceIdSchema,
  cell: ResourceIdSchema,
  sid: ResourceIdSchema,
  sub: ResourceIdSchema,
  notebook: ResourceIdSchema,
  status: CellStatusSchema,
  startedAt: z.iso.datetime({ offset: true }),
  endedAt: z.iso.datetime({ offset: true }),
  seqFirst: z.number().int().nonnegative(),
  seqLast: z.number().int().nonnegative(),
  outputCount: z.number().int().nonnegative(),
  /** sha256 hex of canonicalJson(outputs) — see {@link outputsDigest}. */
  outputsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  exitCode: z.number().int().nullable().optional(),
  /** Jupyter execution_count of a kernel cell. */
  executionCount: z.number().int().nullable().optional(),
  iat: z.number().int(),
});
export type ReceiptClaims = z.infer<typeof ReceiptClaimsSchema>;

/** The digest a receipt commits to: SHA-256 of the canonical JSON of the final outputs. */
export function outputsDigest(outputs: readonly Output[]): Promise<string> {
  return sha256Hex(canonicalJson(outputs));
}

const enc = new TextEncoder();

/** Sign a receipt with the runtime's private key. */
export async function signReceipt(
  claims: ReceiptClaims,
  key: CryptoKey,
  kid: string,
): Promise<string> {
  const parsed = ReceiptClaimsSchema.parse(claims);
  return new CompactSign(enc.encode(JSON.stringify(parsed)))
    .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: RECEIPT_TYP })
    .sign(key);
}

/** Decode a receipt without verifying (to find which runtime's key to use). */
export function peekReceipt(receipt: string): ReceiptClaims {
  try {
    const header = decodeProtectedHeader(receipt);
    if (header.typ !== RECEIPT_TYP) throw new Error('typ');
    const [, payload] = receipt.split('.');
    const json = atob((payload ?? '').replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return ReceiptClaimsSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    throw new SpinError('receipt.malformed', 'receipt is not a valid SPIN receipt');
  }
}

/**
 * Verify a receipt's signature against a runtime's public signing key and, when given, that
 * `outputs` are exactly what it committed to. Errors: `receipt.malformed`,
 * `receipt.signature_invalid`, `receipt.digest_mismatch`.
 */
export async function verifyReceipt(
  receipt: string,
  runtimeKey: PublicJwk,
  outputs?: readonly Output[],
): Promise<ReceiptClaims> {
  const header = (() => {
    try {
      return decodeProtectedHeader(receipt);
    } catch {
      throw new SpinError('receipt.malformed', 'receipt is not a compact JWS');
    }
  })();
  if (header.alg !== SIGNING_ALG || header.typ !== RECEIPT_TYP) {
    throw new SpinError('receipt.malformed', 'receipt header is not EdDSA/' + RECEIPT_TYP);
  }
  let payload: Uint8Array;
  try {
    const key = await importKey(runtimeKey as JWK, SIGNING_ALG);
    ({ payload } = await compactVerify(receipt, key, { algorithms: [SIGNING_ALG] }));
  } catch {
    throw new SpinError(
      'receipt.signature_invalid',
      "receipt signature does not match the runtime's key",
    );
  }
  let claims: ReceiptClaims;
  try {
    claims = ReceiptClaimsSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
  } catch {
    throw new SpinError('receipt.malformed', 'receipt claims are invalid');
  }
  if (outputs) {
    const digest = await outputsDigest(outputs);
    if (digest !== claims.outputsSha256 || outputs.length !== claims.outputCount) {
      throw new SpinError(
        'receipt.digest_mismatch',
        'outputs do not match the digest the runtime signed',
      );
    }
  }
  return claims;
}
