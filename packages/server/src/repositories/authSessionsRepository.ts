import { and, eq, gt, ne, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { authSessions, users } from '../db/schema.js';
import type { UserRow } from './usersRepository.js';
import { authzEpochColumn, prepared } from './preparedStatements.js';

/** A live browser session with its user. */
export interface AuthSessionWithUser {
  id: string;
  csrfToken: string;
  expiresAt: Date;
  user: UserRow;
  /** The authorization epoch of the same snapshot (policies/authzCache.ts). */
  epoch: number;
}

/** auth_sessions access; ids are sha256 hashes of cookie tokens. */
export const authSessionsRepository = {
  async insert(db: Db, row: typeof authSessions.$inferInsert): Promise<void> {
    await db.insert(authSessions).values(row);
  },
  async findLive(db: Db, id: string, now: Date): Promise<AuthSessionWithUser | null> {
    const statement = prepared(db, 'auth_sessions_find_live_with_epoch', (d, name) =>
      d
        .select({ session: authSessions, user: users, epoch: authzEpochColumn() })
        .from(authSessions)
        .innerJoin(users, eq(users.id, authSessions.userId))
        .where(
          and(
            eq(authSessions.id, sql.placeholder('id')),
            gt(authSessions.expiresAt, sql.placeholder('now')),
          ),
        )
        .prepare(name),
    );
    const [row] = await statement.execute({ id, now });
    if (!row) return null;
    return {
      id: row.session.id,
      csrfToken: row.session.csrfToken,
      expiresAt: row.session.expiresAt,
      user: row.user,
      epoch: row.epoch,
    };
  },
  async delete(db: Db, id: string): Promise<void> {
    await db.delete(authSessions).where(eq(authSessions.id, id));
  },
  /** End every session of `userId` except `keepId` (after a password change). */
  async deleteOthersOfUser(db: Db, userId: string, keepId: string): Promise<void> {
    await db
      .delete(authSessions)
      .where(and(eq(authSessions.userId, userId), ne(authSessions.id, keepId)));
  },
};
