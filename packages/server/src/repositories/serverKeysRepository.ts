import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { serverKeys } from '../db/schema.js';

/** A server signing key row (private part encrypted). */
export type ServerKeyRow = typeof serverKeys.$inferSelect;

/** server_keys access. */
export const serverKeysRepository = {
  async listActive(db: Db): Promise<ServerKeyRow[]> {
    return db
      .select()
      .from(serverKeys)
      .where(eq(serverKeys.active, true))
      .orderBy(asc(serverKeys.createdAt));
  },
  async insert(db: Db, row: typeof serverKeys.$inferInsert): Promise<void> {
    await db.insert(serverKeys).values(row);
  },
  /** Every key, retired ones included, locked until the transaction ends (key rotation). */
  async listAllForUpdate(db: Db): Promise<ServerKeyRow[]> {
    return db.select().from(serverKeys).orderBy(asc(serverKeys.createdAt)).for('update');
  },
  async setPrivateJwkEnc(db: Db, kid: string, privateJwkEnc: string): Promise<void> {
    await db.update(serverKeys).set({ privateJwkEnc }).where(eq(serverKeys.kid, kid));
  },
};
