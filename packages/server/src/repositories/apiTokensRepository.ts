import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { apiTokenCells, apiTokens, users } from '../db/schema.js';
import { prepared } from './preparedStatements.js';
import type { UserRow } from './usersRepository.js';

/** An api_tokens row. */
export type ApiTokenRow = typeof apiTokens.$inferSelect;

/** api_tokens / api_token_cells access. Secrets never reach this layer, only their hashes. */
export const apiTokensRepository = {
  async insert(db: Db, row: typeof apiTokens.$inferInsert): Promise<ApiTokenRow> {
    const [created] = await db.insert(apiTokens).values(row).returning();
    return created!;
  },
  /** The token with this secret hash and its owner, whatever its state (the caller decides). */
  async findBySecretHash(
    db: Db,
    secretHash: string,
  ): Promise<{ token: ApiTokenRow; user: UserRow } | null> {
    const statement = prepared(db, 'api_tokens_find_by_hash', (d, name) =>
      d
        .select({ token: apiTokens, user: users })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.userId))
        .where(eq(apiTokens.secretHash, sql.placeholder('hash')))
        .prepare(name),
    );
    const [row] = await statement.execute({ hash: secretHash });
    return row ?? null;
  },
  async get(db: Db, id: string): Promise<ApiTokenRow | null> {
    const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
    return row ?? null;
  },
  async listForUser(db: Db, userId: string): Promise<ApiTokenRow[]> {
    return db
      .select()
      .from(apiTokens)
      .where(eq(apiTokens.userId, userId))
      .orderBy(desc(apiTokens.createdAt));
  },
  /** Mark revoked (idempotent: an already revoked token keeps its first revocation time). */
  async revoke(db: Db, id: string, at: Date): Promise<ApiTokenRow | null> {
    const [row] = await db
      .update(apiTokens)
      .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, ${at})` })
      .where(eq(apiTokens.id, id))
      .returning();
    return row ?? null;
  },
  /** Record a use, at most once per `coarseMs` so a busy token does not write on every request. */
  async touch(db: Db, id: string, at: Date, coarseMs: number): Promise<void> {
    await db
      .update(apiTokens)
      .set({ lastUsedAt: at })
      .where(
        and(
          eq(apiTokens.id, id),
          or(
            isNull(apiTokens.lastUsedAt),
            lt(apiTokens.lastUsedAt, new Date(at.getTime() - coarseMs)),
          ),
        ),
      );
  },
  /**
   * Bind a oneshot token to `sid` if it is unbound; returns the session it is bound to
   * (`sid`, or the one an earlier compile bound it to).
   */
  async bindSession(db: Db, id: string, sid: string): Promise<string | null> {
    await db
      .update(apiTokens)
      .set({ boundSid: sid })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.boundSid)));
    const [row] = await db
      .select({ boundSid: apiTokens.boundSid })
      .from(apiTokens)
      .where(eq(apiTokens.id, id));
    return row?.boundSid ?? null;
  },
  /** Record that a oneshot token compiled `cellId`; false when it already had. */
  async claimCell(db: Db, tokenId: string, cellId: string): Promise<boolean> {
    const rows = await db
      .insert(apiTokenCells)
      .values({ tokenId, cellId })
      .onConflictDoNothing()
      .returning({ cellId: apiTokenCells.cellId });
    return rows.length === 1;
  },
};
