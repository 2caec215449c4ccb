import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { runtimes } from '../db/schema.js';
import { prepared } from './preparedStatements.js';

/** A paired runtime row. */
export type RuntimeRow = typeof runtimes.$inferSelect;

/** What a re-pair may change. */
export type RuntimeKeysPatch = Pick<
  RuntimeRow,
  'name' | 'url' | 'signingJwk' | 'encryptionJwk' | 'fingerprint' | 'registeredBy'
>;

/** runtimes access. */
export const runtimesRepository = {
  /** Insert a new runtime; null when the id is already registered (nothing is changed). */
  async insert(db: Db, row: typeof runtimes.$inferInsert): Promise<RuntimeRow | null> {
    const [saved] = await db.insert(runtimes).values(row).onConflictDoNothing().returning();
    return saved ?? null;
  },
  async get(db: Db, id: string): Promise<RuntimeRow | null> {
    const statement = prepared(db, 'runtimes_get', (d, name) =>
      d
        .select()
        .from(runtimes)
        .where(eq(runtimes.id, sql.placeholder('id')))
        .prepare(name),
    );
    const [row] = await statement.execute({ id });
    return row ?? null;
  },
  /** Read and lock the row until the surrounding transaction ends. */
  async getForUpdate(db: Db, id: string): Promise<RuntimeRow | null> {
    const [row] = await db.select().from(runtimes).where(eq(runtimes.id, id)).for('update');
    return row ?? null;
  },
  /**
   * Apply a re-pair if the stored fingerprint is still `expectedFingerprint` (compare-and-set:
   * the row is not read again); null when it changed meanwhile.
   */
  async updateIfFingerprint(
    db: Db,
    id: string,
    expectedFingerprint: string,
    patch: RuntimeKeysPatch,
  ): Promise<RuntimeRow | null> {
    const [row] = await db
      .update(runtimes)
      .set({ ...patch, pairedAt: new Date() })
      .where(and(eq(runtimes.id, id), eq(runtimes.fingerprint, expectedFingerprint)))
      .returning();
    return row ?? null;
  },
  async update(db: Db, id: string, patch: RuntimeKeysPatch): Promise<RuntimeRow> {
    const [row] = await db
      .update(runtimes)
      .set({ ...patch, pairedAt: new Date() })
      .where(eq(runtimes.id, id))
      .returning();
    return row!;
  },
  /** Runtimes of the given workspaces (`'all'`: every runtime), oldest pairing first. */
  async listIn(db: Db, workspaceIds: readonly string[] | 'all'): Promise<RuntimeRow[]> {
    if (workspaceIds !== 'all' && workspaceIds.length === 0) return [];
    const query = db.select().from(runtimes);
    const filtered =
      workspaceIds === 'all'
        ? query
        : query.where(inArray(runtimes.workspaceId, [...workspaceIds]));
    return filtered.orderBy(asc(runtimes.pairedAt), asc(runtimes.id));
  },
};
