import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { userIdentities, users } from '../db/schema.js';
import type { UserRow } from './usersRepository.js';

/** user_identities access: which user an IdP's (issuer, subject) names. */
export const userIdentitiesRepository = {
  async findUser(db: Db, issuer: string, subject: string): Promise<UserRow | null> {
    const [row] = await db
      .select({ user: users })
      .from(userIdentities)
      .innerJoin(users, eq(users.id, userIdentities.userId))
      .where(and(eq(userIdentities.issuer, issuer), eq(userIdentities.subject, subject)));
    return row?.user ?? null;
  },
  async insert(db: Db, row: typeof userIdentities.$inferInsert): Promise<void> {
    await db.insert(userIdentities).values(row);
  },
};
