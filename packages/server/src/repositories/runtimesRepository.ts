import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { runtimes } from '../db/schema.js';
import { prepared } from './preparedStatements.js';

/** A paired runtime row. */
export type RuntimeRow = typeof runtimes.$inferSelect;

/** runtimes access. */
export const runtimesRepository = {
  /** Insert, or update keys/url/name of an already registered runtime id. */
  async upsert(db: Db, row: typeof runtimes.$inferInsert): Promise<RuntimeRow> {
    const { id: _id, ...rest } = row;
    const [saved] = await db
      .insert(runtimes)
      .values(row)
      .onConflictDoUpdate({ target: runtimes.id, set: { ...rest, pairedAt: new Date() } })
      .returning();
    return saved!;
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
  async list(db: Db): Promise<RuntimeRow[]> {
    return db.select().from(runtimes).orderBy(asc(runtimes.pairedAt));
  },
};
