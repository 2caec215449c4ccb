import { eq, lt } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { oidcLogins } from '../db/schema.js';

/** An OpenID Connect login in flight. */
export type OidcLoginRow = typeof oidcLogins.$inferSelect;

/** oidc_logins access; ids are sha256 hashes of the browser's login cookie. */
export const oidcLoginsRepository = {
  async insert(db: Db, row: OidcLoginRow): Promise<void> {
    await db.insert(oidcLogins).values(row);
  },
  /** Delete and return the login (single use: a second callback finds nothing). */
  async take(db: Db, id: string): Promise<OidcLoginRow | null> {
    const [row] = await db.delete(oidcLogins).where(eq(oidcLogins.id, id)).returning();
    return row ?? null;
  },
  /** Forget logins that were started and never finished. */
  async deleteExpired(db: Db, now: Date): Promise<void> {
    await db.delete(oidcLogins).where(lt(oidcLogins.expiresAt, now));
  },
};
