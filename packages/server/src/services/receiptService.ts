import type { KeyObject } from 'node:crypto';
import { SpinError, type Output, type PublicJwk, type ReceiptClaims } from '@spin/protocol';
import { streamedOutputsDigest } from '@spin/protocol/node';
import type { Db } from '../db/connection.js';
import { actorId } from '../policies/actor.js';
import type { GrantFor } from '../policies/authorize.js';
import { isRequireFailure } from '../db/dbErrors.js';
import type { AuditRow } from '../repositories/auditRepository.js';
import { cellRunsRepository, type NewCellRun } from '../repositories/cellRunsRepository.js';
import { programsRepository, type ReceiptMark } from '../repositories/programsRepository.js';
import { EpochCache } from '../policies/authzCache.js';
import type { CompiledPrograms } from '../policies/compiledPrograms.js';
import type { AuditEvent, AuditService } from './auditService.js';
import { receiptKey, verifyReceiptSignature } from './receiptSignature.js';
import { Batcher, type BatchOutcome, type CompileGate } from './receiptBatcher.js';
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

/** The check of a receipt's program, again and by reads (the route's `authorize` call). */
export type ReauthorizeReceipt = () => Promise<GrantFor<'program'>>;

/** A verified receipt waiting for its batch. */
interface VerifiedReceipt {
  grant: GrantFor<'program'>;
  claims: ReceiptClaims;
  receipt: string;
  outputs: Output[];
  reauthorize: ReauthorizeReceipt | undefined;
}

/** What the receipts of a batch authorized from caches need confirmed (`Grant.confirm`). */
type Confirmation = {
  epoch: number;
  notebooks: { notebookId: string; workspaceId: string }[];
} | null;

/** The batch's confirmation; 'mixed' when its grants name different epochs (one is stale). */
function confirmationOf(batch: readonly VerifiedReceipt[]): Confirmation | 'mixed' {
  const epochs = new Set<number>();
  const notebooks = new Map<string, { notebookId: string; workspaceId: string }>();
  for (const { grant } of batch) {
    if (!grant.confirm) continue;
    const { epoch, notebookId, workspaceId } = grant.confirm;
    epochs.add(epoch);
    notebooks.set(`${notebookId}\u0000${workspaceId}`, { notebookId, workspaceId });
  }
  if (epochs.size > 1) return 'mixed';
  const [epoch] = epochs;
  return epoch === undefined ? null : { epoch, notebooks: [...notebooks.values()] };
}

/**
 * Runtime-signed receipts (DESIGN.md §1 step 7): verified against the registered runtime key,
 * matched to the compiled program, then recorded with the outputs and one audit entry. Receipts
 * are verified as they arrive and written in batches — one transaction per batch, once no
 * compile is in flight ({@link CompileGate}) — so the next cell's compile never waits behind the
 * previous cell's receipt.
 */
export class ReceiptService {
  /** Runtime signing keys (imported) by runtime id, checked against the epoch (authzCache.ts). */
  private readonly runtimeKeys = new EpochCache<KeyObject>();
  private readonly batcher: Batcher<VerifiedReceipt, ReceiptAccepted>;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly runtimes: RuntimeService,
    private readonly compiled: CompiledPrograms,
    gate: CompileGate,
    private readonly onResult: (result: string) => void = () => {},
  ) {
    this.batcher = new Batcher((items) => this.record(items), gate);
  }

  /**
   * Of the given programs of session `sid`, those whose receipt is still missing — so a client
   * that replays a journal relays only the receipts nobody posted (one query, not one request
   * per historical run).
   */
  pending(sid: string, jtis: readonly string[]): Promise<string[]> {
    return programsRepository.pendingIn(this.db, sid, jtis);
  }

  /** Resolves once every receipt accepted so far is written (shutdown). */
  settled(): Promise<void> {
    return this.batcher.settled();
  }

  /**
   * Verify and record a receipt (`grant` is for its program's notebook). Cheap refusals come
   * first — unknown program, already recorded — so replaying a receipt costs no signature or
   * digest work; a refused receipt changes nothing (cell_runs, last run, audit). A grant decided
   * from caches (`grant.confirm`) needs `reauthorize`, for when its batch cannot confirm it.
   */
  async submit(
    grant: GrantFor<'program'>,
    input: { receipt: string; outputs: Output[] },
    reauthorize?: ReauthorizeReceipt,
  ): Promise<ReceiptAccepted> {
    try {
      if (grant.confirm && !reauthorize) throw new Error('an unconfirmed grant needs reauthorize');
      const claims = await this.verify(grant, input);
      const accepted = await this.batcher.add({ grant, claims, ...input, reauthorize });
      this.onResult('accepted');
      return accepted;
    } catch (err) {
      this.onResult(err instanceof SpinError ? err.code : 'error');
      throw err;
    }
  }

  private async verify(
    grant: GrantFor<'program'>,
    input: { receipt: string; outputs: Output[] },
  ): Promise<ReceiptClaims> {
    // The program the authorizer loaded for the receipt's jti (read once, here too).
    const { program } = grant;
    if (program.receiptStatus !== null) throw duplicate();
    const key = await this.runtimeKeys.getOrLoad(program.runtimeId, grant.epoch, async () =>
      receiptKey((await this.runtimes.getRow(program.runtimeId)).signingJwk as PublicJwk),
    );
    const claims = verifyReceiptSignature(input.receipt, key);
    // The digest streamed (outputsDigest.ts), not built as one text and its bytes in memory.
    if (
      input.outputs.length !== claims.outputCount ||
      streamedOutputsDigest(input.outputs) !== claims.outputsSha256
    ) {
      throw new SpinError(
        'receipt.digest_mismatch',
        'outputs do not match the digest the runtime signed',
      );
    }
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
    return claims;
  }

  /**
   * Write one batch. Usually in ONE statement (no transaction): mark every program, keep each
   * cell's latest run and append one audit entry per receipt, all or nothing — the statement
   * aborts unless every program still awaited its receipt and what the cached grants assumed
   * still holds. When not (a racing receipt recorded one meanwhile, or authorization changed),
   * the cached grants are checked again by reads and the batch written by
   * {@link recordSorting}.
   */
  private async record(items: VerifiedReceipt[]): Promise<BatchOutcome<ReceiptAccepted>[]> {
    const now = new Date();
    // The same jti twice in one batch: the first is the one recorded.
    const first = new Map<string, VerifiedReceipt>();
    for (const item of items) if (!first.has(item.claims.jti)) first.set(item.claims.jti, item);
    const batch = [...first.values()];
    const refused = new Map<VerifiedReceipt, unknown>();
    const confirmation = confirmationOf(batch);
    let recorded =
      confirmation === 'mixed' ? null : await this.recordAtOnce(batch, now, confirmation);
    if (!recorded) {
      recorded = await this.recordSorting(await this.recheck(batch, refused), now);
    }
    for (const item of recorded.items) this.compiled.forget(item.claims.jti);
    const seqByJti = new Map(
      recorded.items.map((item, i) => [item.claims.jti, recorded.rows[i]!.seq]),
    );
    return items.map((item) => {
      if (refused.has(item)) return { ok: false, error: refused.get(item) };
      const seq = first.get(item.claims.jti) === item ? seqByJti.get(item.claims.jti) : undefined;
      return seq === undefined
        ? { ok: false, error: duplicate() }
        : { ok: true, value: { auditSeq: seq, status: item.claims.status } };
    });
  }

  /** The batch in one statement; null (nothing written) when a check in it failed. */
  private async recordAtOnce(
    batch: VerifiedReceipt[],
    now: Date,
    confirmation: Confirmation,
  ): Promise<{ items: VerifiedReceipt[]; rows: AuditRow[] } | null> {
    try {
      const rows = await this.audit.appendNow(
        batch.map(auditEventOf),
        programsRepository.markAllPendingPrelude(
          batch.map((i) => markOf(i, now)),
          cellRunsRepository.upsertManyIfNewerCte(batch.map(cellRunOf)),
          confirmation,
        ),
      );
      return { items: batch, rows };
    } catch (err) {
      if (isRequireFailure(err)) return null;
      throw err;
    }
  }

  /**
   * The batch with every grant decided from caches decided again by reads (and its receipt
   * verified again against the program row read); a receipt now refused goes to `refused`.
   */
  private async recheck(
    batch: VerifiedReceipt[],
    refused: Map<VerifiedReceipt, unknown>,
  ): Promise<VerifiedReceipt[]> {
    const checked: VerifiedReceipt[] = [];
    for (const item of batch) {
      if (!item.grant.confirm) {
        checked.push(item);
        continue;
      }
      this.compiled.forget(item.claims.jti); // so the check reads the program
      try {
        const grant = await item.reauthorize!();
        checked.push({ ...item, grant, claims: await this.verify(grant, item) });
      } catch (err) {
        refused.set(item, err);
      }
    }
    return checked;
  }

  /**
   * Write a batch some of whose programs may have a receipt already, in one transaction: mark
   * the programs (conditional on no receipt yet, so of two racing receipts one records and the
   * other is a duplicate), keep the recorded ones' runs, append their audit entries.
   */
  private async recordSorting(
    batch: VerifiedReceipt[],
    now: Date,
  ): Promise<{ items: VerifiedReceipt[]; rows: AuditRow[] }> {
    const { result, rows } = await this.audit.transactWithAppend(async (tx) => {
      const marked = await programsRepository.markReceiptsIfPending(
        tx,
        batch.map((i) => markOf(i, now)),
      );
      const recorded = batch.filter((i) => marked.has(i.claims.jti));
      // A deleted notebook's runs are skipped there; the run is still audited.
      await cellRunsRepository.upsertManyIfNewer(tx, recorded.map(cellRunOf));
      return { result: recorded, events: recorded.map(auditEventOf) };
    });
    return { items: result, rows };
  }
}

/** The program-row mark of a verified receipt. */
function markOf({ claims }: VerifiedReceipt, at: Date): ReceiptMark {
  return {
    jti: claims.jti,
    status: claims.status,
    at,
    startedAt: new Date(claims.startedAt),
    endedAt: new Date(claims.endedAt),
  };
}

/** The cell's run a verified receipt records (skipped for a deleted notebook). */
function cellRunOf({ claims, outputs }: VerifiedReceipt): NewCellRun {
  return {
    notebookId: claims.notebook,
    cellId: claims.cell,
    jti: claims.jti,
    status: claims.status,
    startedAt: new Date(claims.startedAt),
    endedAt: new Date(claims.endedAt),
    executionCount: claims.executionCount ?? executionCountOf(outputs),
    exitCode: claims.exitCode ?? null,
    outputs,
  };
}

/** The `cell.executed` audit entry of a recorded receipt. */
function auditEventOf({ grant, claims, receipt }: VerifiedReceipt): AuditEvent {
  return {
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
      receipt,
    },
  };
}
