import {
  outputsFromEvents,
  type CellStatus,
  type JournalEvent,
  type ProgramClaims,
} from '@spin/protocol';
import type { RuntimeCryptoKey } from '../security/identity.js';
import { streamedOutputsDigest } from '@spin/protocol/node';
import { signReceiptFast } from '../security/receiptSigner.js';

/** How a run ended, as its receipt states it. */
export interface RunEnd {
  status: CellStatus;
  startedAt: string;
  endedAt: string;
  seqFirst: number;
  seqLast: number;
  exitCode: number | null;
  executionCount: number | null;
}

/**
 * The receipt of one run (DESIGN.md §1 step 7), signed by the runtime key over exactly the
 * outputs `outputsFromEvents` derives from the run's events. Synchronous (node:crypto), so
 * `cell_ended` leaves in the same turn of the event loop as the kernel's last message.
 */
export function signRunReceipt(
  deps: { runtimeId: string; signingKey: RuntimeCryptoKey; signingKid: string },
  claims: ProgramClaims,
  events: readonly JournalEvent[],
  end: RunEnd,
): string {
  const outputs = outputsFromEvents(events);
  return signReceiptFast(
    {
      iss: deps.runtimeId,
      jti: claims.jti,
      cell: claims.cell,
      sid: claims.sid,
      sub: claims.sub,
      notebook: claims.notebook,
      ...end,
      outputCount: outputs.length,
      outputsSha256: streamedOutputsDigest(outputs),
      iat: Math.floor(Date.now() / 1000),
    },
    deps.signingKey,
    deps.signingKid,
  );
}
