import { canonicalJson, sha256Hex, type AuditEntry, type AuditVerifyResult } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import type { Scope } from '../policies/authorize.js';
import { auditRepository, type AuditRow } from '../repositories/auditRepository.js';

/** prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** One event to append. */
export interface AuditEvent {
  actor: string | null;
  /** The workspace the event happened in; omit for org-level events (admins only read them). */
  workspaceId?: string | null;
  action: string;
  subject: string | null;
  data: Record<string, unknown>;
}

/**
 * `hash = sha256hex(prevHash + canonicalJson({seq, at, actor, action, subject, data,
 * workspaceId}))`, `workspaceId` only when set — so entries written before workspaces were
 * recorded (null) keep their hashes, and moving an entry to another workspace breaks it.
 */
export function auditHash(
  prevHash: string,
  row: Omit<AuditRow, 'prevHash' | 'hash'>,
): Promise<string> {
  const { seq, at, actor, action, subject, data } = row;
  const workspaceId = row.workspaceId ?? undefined;
  return sha256Hex(
    prevHash + canonicalJson({ seq, at, actor, action, subject, data, workspaceId }),
  );
}

/** Plain wire form of an audit row. */
export function presentAuditEntry(row: AuditRow): AuditEntry {
  return { ...row };
}

/**
 * The tamper-evident audit log. Appends are serialised (transaction + advisory lock) so the
 * chain never forks; {@link AuditService.verify} recomputes every link.
 */
export class AuditService {
  constructor(private readonly db: Db) {}

  /**
   * Append one entry. Pass the caller's transaction to make the entry atomic with the change
   * it records; without one, a transaction is opened.
   */
  async append(event: AuditEvent, tx?: Db): Promise<AuditRow> {
    if (!tx) return this.db.transaction((t) => this.append(event, t as unknown as Db));
    await auditRepository.lockForAppend(tx);
    const last = await auditRepository.last(tx);
    const base = {
      seq: (last?.seq ?? 0) + 1,
      at: new Date().toISOString(),
      actor: event.actor,
      workspaceId: event.workspaceId ?? null,
      action: event.action,
      subject: event.subject,
      data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>,
    };
    const prevHash = last?.hash ?? GENESIS_HASH;
    const row: AuditRow = { ...base, prevHash, hash: await auditHash(prevHash, base) };
    await auditRepository.insert(tx, row);
    return row;
  }

  /**
   * Entries with seq > after, oldest first, of the workspaces in `scope` (org admins: all,
   * including org-level entries such as logins).
   */
  async list(scope: Scope, opts: { after: number; limit: number }): Promise<AuditEntry[]> {
    const workspaces = scope.all ? 'all' : scope.workspaceIds;
    return (await auditRepository.page(this.db, opts.after, opts.limit, workspaces)).map(
      presentAuditEntry,
    );
  }

  /**
   * Recompute the chain from the first entry. An edited row shows as a hash mismatch; a deleted
   * row as a seq gap or a prevHash that does not match the previous entry's hash.
   */
  async verify(): Promise<AuditVerifyResult> {
    let prevHash = GENESIS_HASH;
    let prevSeq = 0;
    let count = 0;
    const broken = (seq: number, reason: string): AuditVerifyResult => ({
      ok: false,
      count,
      brokenAt: seq,
      reason,
    });
    for (;;) {
      const rows = await auditRepository.page(this.db, prevSeq, 500);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.seq !== prevSeq + 1) {
          return broken(
            row.seq,
            `seq gap: expected ${prevSeq + 1}, found ${row.seq} (row deleted?)`,
          );
        }
        if (row.prevHash !== prevHash) {
          return broken(
            row.seq,
            'prevHash does not match the previous entry (row deleted or replaced?)',
          );
        }
        if ((await auditHash(row.prevHash, row)) !== row.hash) {
          return broken(row.seq, 'hash mismatch: entry content was edited');
        }
        prevHash = row.hash;
        prevSeq = row.seq;
        count++;
      }
    }
    return { ok: true, count, brokenAt: null, reason: null };
  }
}
