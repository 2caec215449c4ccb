import {
  SpinError,
  verifyReceipt,
  type Output,
  type PublicJwk,
  type ReceiptClaims,
} from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { actorId } from '../policies/actor.js';
import type { GrantFor } from '../policies/authorize.js';
import { cellRunsRepository } from '../repositories/cellRunsRepository.js';
import { notebooksRepository } from '../repositories/notebooksRepository.js';
import { programsRepository } from '../repositories/programsRepository.js';
import type { AuditService } from './auditService.js';
import type { RuntimeService } from './runtimeService.js';

/** Result of accepting a receipt. */
export interface ReceiptAccepted {
  auditSeq: number;
  status: string;
}

const duplicate = () => new SpinError('receipt.duplicate', 'this receipt was already recorded');

/** The execution count Jupyter reported, if any output carries one. */
function executionCountOf(outputs: readonly Output[]): number | null {
  for (const o of outputs) if (o.output_type === 'execute_result') return o.execution_count;
  return null;
}

/**
 * Runtime-signed receipts (DESIGN.md §1 step 7): verified against the registered runtime key,
 * matched to the compiled program, then recorded with the outputs and one audit entry.
 */
export class ReceiptService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly runtimes: RuntimeService,
    private readonly onResult: (result: string) => void = () => {},
  ) {}

  /**
   * Of the given programs of session `sid`, those whose receipt is still missing — so a client
   * that replays a journal relays only the receipts nobody posted (one query, not one request
   * per historical run).
   */
  pending(sid: string, jtis: readonly string[]): Promise<string[]> {
    return programsRepository.pendingIn(this.db, sid, jtis);
  }

  /**
   * Verify and record a receipt (`grant` is for its program's notebook). Cheap refusals come
   * first — unknown program, already recorded — so replaying a receipt costs no signature or
   * digest work; a refused receipt changes nothing (cell_runs, last run, audit).
   */
  async submit(
    grant: GrantFor<'program'>,
    input: { receipt: string; outputs: Output[] },
  ): Promise<ReceiptAccepted> {
    try {
      const accepted = await this.accept(grant, input);
      this.onResult('accepted');
      return accepted;
    } catch (err) {
      this.onResult(err instanceof SpinError ? err.code : 'error');
      throw err;
    }
  }

  private async accept(
    grant: GrantFor<'program'>,
    input: { receipt: string; outputs: Output[] },
  ): Promise<ReceiptAccepted> {
    // The program the authorizer loaded for the receipt's jti (read once, here too).
    const { program } = grant;
    if (program.receiptStatus !== null) throw duplicate();
    const runtime = await this.runtimes.getRow(program.runtimeId);
    const claims = await verifyReceipt(
      input.receipt,
      runtime.signingJwk as PublicJwk,
      input.outputs,
    );
    const expected: Partial<ReceiptClaims> = {
      iss: program.runtimeId,
      jti: program.jti,
      cell: program.cellId,
      sid: program.sid,
      sub: program.sub,
      notebook: program.notebookId,
    };
    const wrong = Object.entries(expected)
      .filter(([k, v]) => claims[k as keyof ReceiptClaims] !== v)
      .map(([k]) => k);
    if (wrong.length > 0) {
      throw new SpinError(
        'receipt.mismatch',
        `receipt does not match the compiled program (${wrong.join(', ')})`,
      );
    }

    const entry = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const now = new Date();
      // Conditional on no receipt yet: of two racing receipts, one records, one is a duplicate.
      if (
        !(await programsRepository.markReceiptIfPending(tx, program.jti, claims.status, now, {
          startedAt: new Date(claims.startedAt),
          endedAt: new Date(claims.endedAt),
        }))
      ) {
        throw duplicate();
      }
      // The notebook may have been deleted meanwhile: the run is still audited.
      if (await notebooksRepository.workspaceOf(tx, program.notebookId)) {
        await cellRunsRepository.upsertIfNewer(tx, {
          notebookId: program.notebookId,
          cellId: claims.cell,
          jti: claims.jti,
          status: claims.status,
          startedAt: new Date(claims.startedAt),
          endedAt: new Date(claims.endedAt),
          executionCount: claims.executionCount ?? executionCountOf(input.outputs),
          exitCode: claims.exitCode ?? null,
          outputs: input.outputs,
        });
      }
      return this.audit.append(
        {
          actor: actorId(grant.actor),
          workspaceId: grant.workspaceId,
          action: 'cell.executed',
          subject: claims.jti,
          data: {
            jti: claims.jti,
            notebook: claims.notebook,
            cell: claims.cell,
            sid: claims.sid,
            runtime: claims.iss,
            status: claims.status,
            outputsSha256: claims.outputsSha256,
            seqFirst: claims.seqFirst,
            seqLast: claims.seqLast,
            receipt: input.receipt,
          },
        },
        tx,
      );
    });
    return { auditSeq: entry.seq, status: claims.status };
  }
}
