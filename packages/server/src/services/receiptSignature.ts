import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  RECEIPT_TYP,
  ReceiptClaimsSchema,
  SpinError,
  type PublicJwk,
  type ReceiptClaims,
} from '@spin/protocol';

/** A runtime's receipt-signing key, imported once (node:crypto). */
export function receiptKey(jwk: PublicJwk): KeyObject {
  return createPublicKey({
    key: jwk as unknown as JsonWebKey,
    format: 'jwk',
  });
}

const malformed = (message: string) => new SpinError('receipt.malformed', message);

/**
 * Verify a receipt's compact JWS (RFC 7515, EdDSA / Ed25519) against a runtime key imported
 * once — what @spin/protocol `verifyReceipt` checks, with the same error codes, without
 * importing the JWK through WebCrypto on every receipt. Only the `alg`, `kid` and `typ`
 * header members are accepted (no `crit`, no unencoded payload): anything else is malformed.
 */
export function verifyReceiptSignature(receipt: string, key: KeyObject): ReceiptClaims {
  const parts = receipt.split('.');
  if (parts.length !== 3) throw malformed('receipt is not a compact JWS');
  const [protectedHeader, payload, signature] = parts as [string, string, string];
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    throw malformed('receipt is not a compact JWS');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw malformed('receipt is not a compact JWS');
  }
  if (
    header.alg !== 'EdDSA' ||
    header.typ !== RECEIPT_TYP ||
    Object.keys(header).some((k) => k !== 'alg' && k !== 'kid' && k !== 'typ')
  ) {
    throw malformed(`receipt header is not EdDSA/${RECEIPT_TYP}`);
  }
  const signed = Buffer.from(`${protectedHeader}.${payload}`, 'ascii');
  if (!verify(null, signed, key, Buffer.from(signature, 'base64url'))) {
    throw new SpinError(
      'receipt.signature_invalid',
      "receipt signature does not match the runtime's key",
    );
  }
  try {
    return ReceiptClaimsSchema.parse(
      JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
    );
  } catch {
    throw malformed('receipt claims are invalid');
  }
}
