import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { users } from '../db/schema.js';

/** A user row. */
export type UserRow = typeof users.$inferSelect;

/** Users table access. */
export const usersRepository = {
  async count(db: Db): Promise<number> {
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
    return row?.n ?? 0;
  },
  async findByEmail(db: Db, email: string): Promise<UserRow | null> {
    const [row] = await db.select().from(users).where(eq(users.email, email));
    return row ?? null;
  },
  async findById(db: Db, id: string): Promise<UserRow | null> {
    const [row] = await db.select().from(users).where(eq(users.id, id));
    return row ?? null;
  },
  /** Replace a password hash only if it is still `expected`; false when it had changed. */
  async replacePasswordHash(db: Db, id: string, expected: string, next: string): Promise<boolean> {
    const rows = await db
      .update(users)
      .set({ passwordHash: next })
      .where(and(eq(users.id, id), eq(users.passwordHash, expected)))
      .returning({ id: users.id });
    return rows.length === 1;
  },
  async setOrgRole(db: Db, id: string, orgRole: UserRow['orgRole']): Promise<UserRow> {
    const [row] = await db.update(users).set({ orgRole }).where(eq(users.id, id)).returning();
    return row!;
  },
  async insert(db: Db, row: typeof users.$inferInsert): Promise<UserRow> {
    const [created] = await db.insert(users).values(row).returning();
    return created!;
  },
};
