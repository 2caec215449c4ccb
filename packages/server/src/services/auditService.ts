import { createHmac } from 'node:crypto';
import { canonicalJson, sha256Hex, type AuditEntry, type AuditVerifyResult } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import type { Scope } from '../policies/authorize.js';
import {
  auditRepository,
  type AppendPrelude,
  type AuditFilter,
  type AuditRow,
} from '../repositories/auditRepository.js';

/** prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * HKDF `info` of the audit chain key. The key is derived from the master key, which lives
 * outside the database (SPIN_MASTER_KEY or a file beside, not inside, the data directory), so
 * reading or writing the database never yields it — and a distinct label keeps it apart from
 * every other use of the master key.
 */
export const AUDIT_KEY_INFO = 'spin audit chain hmac v1';

/** One event to append. */
export interface AuditEvent {
  actor: string | null;
  /** The workspace the event happened in; omit for org-level events (admins only read them). */
  workspaceId?: string | null;
  action: string;
  subject: string | null;
  data: Record<string, unknown>;
}

type HashedFields = Omit<AuditRow, 'prevHash' | 'hash' | 'chain'>;

/** What each link hashes: the previous link and the entry, `workspaceId` only when set. */
function linkText(prevHash: string, row: HashedFields): string {
  const { seq, at, actor, action, subject, data } = row;
  const workspaceId = row.workspaceId ?? undefined;
  return prevHash + canonicalJson({ seq, at, actor, action, subject, data, workspaceId });
}

/**
 * The keyed link: `HMAC-SHA256(chainKey, prevHash + canonicalJson(entry))`, hex.
 *
 * Why an HMAC per entry rather than signed checkpoints: a plain hash chain proves nothing
 * against someone who can write the database — they edit a row and recompute every hash after
 * it. With a key they do not have, they cannot produce a single valid link, so any edit,
 * deletion, reordering or wholesale recomputation shows at the first entry it touches, and
 * verification needs no checkpoint schedule (a checkpoint scheme leaves the entries since the
 * last checkpoint unprotected). The cost — the verifier needs the key — is fine: the server
 * verifies its own log. What an HMAC cannot show is a truncated tail (drop the newest entries
 * and the rest still verifies); `count` and the newest `seq` are what to compare against an
 * exported copy (`GET /api/v1/audit/export`).
 */
export function auditHmac(key: Buffer, prevHash: string, row: HashedFields): string {
  return createHmac('sha256', key).update(linkText(prevHash, row), 'utf8').digest('hex');
}

/** The plain link of the chain before it was keyed (`sha256hex(prevHash + canonicalJson)`). */
export function legacyAuditHash(prevHash: string, row: HashedFields): Promise<string> {
  return sha256Hex(linkText(prevHash, row));
}

/** Plain wire form of an audit row. */
export function presentAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    workspaceId: row.workspaceId,
    action: row.action,
    subject: row.subject,
    data: row.data,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

/** Result of {@link AuditService.upgradeLegacyChain}. */
export type ChainUpgrade =
  | { status: 'keyed'; entries: number }
  | { status: 'nothing_to_do' }
  | { status: 'refused'; reason: string };

/** The newest link of the chain as this process last knew it. */
interface ChainHead {
  seq: number;
  hash: string;
}

/** Times an append re-reads the head after another process moved it, before giving up. */
const MAX_HEAD_RETRIES = 16;

/** Another process appended since this one read the head (retry with the new head). */
class HeadMoved extends Error {}

/**
 * The tamper-evident audit log, keyed (see {@link auditHmac}). The chain never forks: every
 * append takes the advisory append lock, and the hot-path appends ({@link appendNow},
 * {@link transactWithAppend}) link to an in-memory head instead of reading the newest row —
 * inserting the next seq is the compare-and-set (the primary key refuses a seq another process
 * took since; the head is then re-read and the append retried), so several server processes
 * on one PostgreSQL append safely. {@link AuditService.verify} recomputes every link.
 */
export class AuditService {
  /** Null until first needed, and after a refused compare-and-set: re-read from the table. */
  private head: ChainHead | null = null;
  /** Hot-path appends of this process, one at a time (they share the head). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    /** The chain key: `masterKey.deriveKey(AUDIT_KEY_INFO)`. */
    private readonly key: Buffer,
  ) {}

  /**
   * Forget the in-memory head: the next append re-reads it from the table (as at start). Only
   * for an operator who restored the table from a backup while this process ran; otherwise
   * rows deleted under a running server stay visible as a seq gap after its next append, which
   * is the point.
   */
  reloadHead(): void {
    this.head = null;
  }

  /** The rows `events` become after `head`, linked and keyed. */
  private link(head: ChainHead | null, events: readonly AuditEvent[]): AuditRow[] {
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    return events.map((event) => {
      const base = {
        seq: ++seq,
        at: new Date().toISOString(),
        actor: event.actor,
        workspaceId: event.workspaceId ?? null,
        action: event.action,
        subject: event.subject,
        data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>,
      };
      const row: AuditRow = {
        ...base,
        prevHash,
        hash: auditHmac(this.key, prevHash, base),
        chain: 'hmac-sha256',
      };
      prevHash = row.hash;
      return row;
    });
  }

  private async readHead(db: Db): Promise<ChainHead | null> {
    const last = await auditRepository.last(db);
    return last && { seq: last.seq, hash: last.hash };
  }

  /** Run `fn` after the hot-path appends before it (they share the head). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Append `events` in ONE statement, with `prelude` (other writes, e.g. the program row a
   * compile records, or a receipt batch's) made atomic with them: all happen or none. No
   * transaction, no read of the newest row (the head is in memory). An error the prelude
   * raises is thrown, the head unchanged.
   */
  appendNow(events: readonly AuditEvent[], prelude?: AppendPrelude): Promise<AuditRow[]> {
    return this.exclusive(async () => {
      for (let attempt = 0; attempt < MAX_HEAD_RETRIES; attempt++) {
        this.head ??= await this.readHead(this.db);
        const rows = this.link(this.head, events);
        if (await auditRepository.appendAfterHead(this.db, rows, prelude)) {
          this.head = { seq: rows.at(-1)!.seq, hash: rows.at(-1)!.hash };
          return rows;
        }
        this.head = null; // another process appended: re-read and link again
      }
      throw new Error('audit append: the chain head kept moving');
    });
  }

  /**
   * One transaction that runs `work` and appends the events it returns (a receipt batch): if
   * another process moved the head, the whole transaction is rolled back and run again.
   */
  transactWithAppend<T>(
    work: (tx: Db) => Promise<{ result: T; events: AuditEvent[] }>,
  ): Promise<{ result: T; rows: AuditRow[] }> {
    return this.exclusive(async () => {
      for (let attempt = 0; attempt < MAX_HEAD_RETRIES; attempt++) {
        try {
          const done = await this.db.transaction(async (t) => {
            const tx = t as unknown as Db;
            const { result, events } = await work(tx);
            if (events.length === 0) return { result, rows: [] as AuditRow[] };
            const head = this.head ?? (await this.readHead(tx));
            const rows = this.link(head, events);
            if (!(await auditRepository.appendAfterHead(tx, rows))) throw new HeadMoved();
            return { result, rows };
          });
          const last = done.rows.at(-1);
          if (last) this.head = { seq: last.seq, hash: last.hash };
          return done;
        } catch (err) {
          if (!(err instanceof HeadMoved)) throw err;
          this.head = null;
        }
      }
      throw new Error('audit append: the chain head kept moving');
    });
  }

  /**
   * Append one entry inside the caller's transaction (atomic with the change it records);
   * without one, in one statement of its own ({@link appendNow}). In a caller's transaction the
   * newest row is read under the append lock, as the transaction may still be rolled back.
   */
  async append(event: AuditEvent, tx?: Db): Promise<AuditRow> {
    if (!tx) return (await this.appendNow([event]))[0]!;
    await auditRepository.lockForAppend(tx);
    const [row] = this.link(await this.readHead(tx), [event]);
    await auditRepository.insert(tx, row!);
    // This process's head is now behind (or, on rollback, still right): re-read it next time
    // rather than spend a refused insert finding out.
    this.head = null;
    return row!;
  }

  /**
   * Entries with seq > after, oldest first, of the workspaces in `scope` (org admins: all,
   * including org-level entries such as logins), narrowed by `filter`.
   */
  async list(
    scope: Scope,
    opts: { after: number; limit: number } & AuditFilter,
  ): Promise<AuditEntry[]> {
    const { after, limit, ...filter } = opts;
    const workspaces = scope.all ? 'all' : scope.workspaceIds;
    return (await auditRepository.page(this.db, after, limit, workspaces, filter)).map(
      presentAuditEntry,
    );
  }

  /** Every entry `list` would return, page by page, for streaming exports. */
  async *entries(scope: Scope, filter: AuditFilter): AsyncGenerator<AuditEntry> {
    let after = 0;
    for (;;) {
      const page = await this.list(scope, { after, limit: 500, ...filter });
      if (page.length === 0) return;
      yield* page;
      after = page[page.length - 1]!.seq;
    }
  }

  /**
   * Recompute the chain from the first entry with the key. An edited row (or one re-hashed
   * without the key) shows as a MAC mismatch; a deleted or reordered row as a seq gap or a
   * prevHash that does not match the previous entry's; an entry still in the unkeyed format
   * after the upgrade as not keyed.
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
            'prevHash does not match the previous entry (row deleted, reordered or replaced?)',
          );
        }
        if (row.chain !== 'hmac-sha256') {
          return broken(row.seq, 'entry is not keyed (written or re-hashed without the key)');
        }
        if (auditHmac(this.key, row.prevHash, row) !== row.hash) {
          return broken(row.seq, 'hash mismatch: entry edited or re-hashed without the key');
        }
        prevHash = row.hash;
        prevSeq = row.seq;
        count++;
      }
    }
    return { ok: true, count, brokenAt: null, reason: null };
  }

  /**
   * The data migration of the keyed chain: re-chain entries written before it (plain SHA-256)
   * with the key, once. It runs only when *no* entry is keyed yet and the plain chain verifies
   * whole — a log that is partly keyed, or whose plain chain is broken, is left exactly as it
   * is for the verifier to report, so tampering is never laundered into a valid keyed chain.
   * A keyed `audit.chain_keyed` entry records how many entries were re-chained.
   *
   * Limit (documented in docs/audit.md): someone who can write the database could rewrite a
   * keyed log back into a plain one before a restart; the upgrade then re-keys it, and the
   * `audit.chain_keyed` entry — which a healthy log has exactly once, right after the entries
   * that existed at upgrade — is the trace to look for.
   */
  async upgradeLegacyChain(): Promise<ChainUpgrade> {
    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      await auditRepository.lockForAppend(tx);
      const counts = await auditRepository.countByChain(tx);
      if ((counts['sha256'] ?? 0) === 0) return { status: 'nothing_to_do' as const };
      if ((counts['hmac-sha256'] ?? 0) > 0) {
        return { status: 'refused' as const, reason: 'the log mixes keyed and unkeyed entries' };
      }
      const rows: AuditRow[] = [];
      let prevSeq = 0;
      let prevHash = GENESIS_HASH;
      for (;;) {
        const page = await auditRepository.page(tx, prevSeq, 500);
        if (page.length === 0) break;
        for (const row of page) {
          const intact =
            row.seq === prevSeq + 1 &&
            row.prevHash === prevHash &&
            (await legacyAuditHash(row.prevHash, row)) === row.hash;
          if (!intact) {
            return {
              status: 'refused' as const,
              reason: `the unkeyed chain is broken at seq ${row.seq}`,
            };
          }
          prevSeq = row.seq;
          prevHash = row.hash;
          rows.push(row);
        }
      }
      let keyedPrev = GENESIS_HASH;
      for (const row of rows) {
        const hash = auditHmac(this.key, keyedPrev, row);
        await auditRepository.rechain(tx, row.seq, keyedPrev, hash);
        keyedPrev = hash;
      }
      await this.append(
        {
          actor: 'system',
          action: 'audit.chain_keyed',
          subject: null,
          data: { entries: rows.length, legacyHeadHash: prevHash },
        },
        tx,
      );
      return { status: 'keyed' as const, entries: rows.length };
    });
  }
}
