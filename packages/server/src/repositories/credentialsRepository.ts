import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/connection.js';
import { connections, runtimeCredentialVersions, secrets } from '../db/schema.js';

/** A stored connection (write-only fields encrypted). */
export type ConnectionRow = typeof connections.$inferSelect;
/** A stored secret (a `spin_store` value encrypted). */
export type SecretRow = typeof secrets.$inferSelect;

/** What an update of a connection may change. */
export type ConnectionPatch = Partial<
  Pick<ConnectionRow, 'name' | 'config' | 'secretsEnc' | 'secretFields' | 'isDefault'>
>;
/** What an update of a secret may change. */
export type SecretPatch = Partial<
  Pick<SecretRow, 'description' | 'storeType' | 'ref' | 'valueEnc'>
>;

/** connections, secrets and runtime_credential_versions access. */
export const credentialsRepository = {
  async insertConnection(db: Db, row: typeof connections.$inferInsert): Promise<ConnectionRow> {
    const [saved] = await db.insert(connections).values(row).returning();
    return saved!;
  },
  async getConnection(db: Db, id: string): Promise<ConnectionRow | null> {
    const [row] = await db.select().from(connections).where(eq(connections.id, id));
    return row ?? null;
  },
  /** Connections of the given workspaces, by workspace then name. */
  async connectionsIn(db: Db, workspaceIds: readonly string[]): Promise<ConnectionRow[]> {
    if (workspaceIds.length === 0) return [];
    return db
      .select()
      .from(connections)
      .where(inArray(connections.workspaceId, [...workspaceIds]))
      .orderBy(asc(connections.workspaceId), asc(connections.name));
  },
  /**
   * Apply `patch` and bump the version; with `expectedVersion`, only if the row still has it
   * (compare-and-set). Null when the row is gone or its version moved.
   */
  async updateConnection(
    db: Db,
    id: string,
    patch: ConnectionPatch,
    expectedVersion?: number,
  ): Promise<ConnectionRow | null> {
    const where =
      expectedVersion === undefined
        ? eq(connections.id, id)
        : and(eq(connections.id, id), eq(connections.version, expectedVersion));
    const [row] = await db
      .update(connections)
      .set({ ...patch, version: sql`${connections.version} + 1`, updatedAt: new Date() })
      .where(where)
      .returning();
    return row ?? null;
  },
  /** Clear the default flag of the other connections of this type in the workspace. */
  async clearDefault(db: Db, workspaceId: string, processor: string, except: string) {
    await db
      .update(connections)
      .set({ isDefault: false, version: sql`${connections.version} + 1`, updatedAt: new Date() })
      .where(
        and(
          eq(connections.workspaceId, workspaceId),
          eq(connections.processor, processor),
          eq(connections.isDefault, true),
          sql`${connections.id} <> ${except}`,
        ),
      );
  },
  async deleteConnection(db: Db, id: string): Promise<boolean> {
    const rows = await db.delete(connections).where(eq(connections.id, id)).returning();
    return rows.length > 0;
  },
  async insertSecret(db: Db, row: typeof secrets.$inferInsert): Promise<SecretRow> {
    const [saved] = await db.insert(secrets).values(row).returning();
    return saved!;
  },
  async getSecret(db: Db, id: string): Promise<SecretRow | null> {
    const [row] = await db.select().from(secrets).where(eq(secrets.id, id));
    return row ?? null;
  },
  async secretsIn(db: Db, workspaceIds: readonly string[]): Promise<SecretRow[]> {
    if (workspaceIds.length === 0) return [];
    return db
      .select()
      .from(secrets)
      .where(inArray(secrets.workspaceId, [...workspaceIds]))
      .orderBy(asc(secrets.workspaceId), asc(secrets.name));
  },
  async updateSecret(db: Db, id: string, patch: SecretPatch): Promise<SecretRow | null> {
    const [row] = await db
      .update(secrets)
      .set({ ...patch, version: sql`${secrets.version} + 1`, updatedAt: new Date() })
      .where(eq(secrets.id, id))
      .returning();
    return row ?? null;
  },
  async deleteSecret(db: Db, id: string): Promise<boolean> {
    const rows = await db.delete(secrets).where(eq(secrets.id, id)).returning();
    return rows.length > 0;
  },
  /** Every ciphertext of the credential tables (for re-encryption under a new master key). */
  async allCiphertexts(db: Db) {
    const cons = await db
      .select({ id: connections.id, enc: connections.secretsEnc })
      .from(connections)
      .for('update');
    const secs = await db
      .select({ id: secrets.id, enc: secrets.valueEnc })
      .from(secrets)
      .for('update');
    return { connections: cons, secrets: secs };
  },
  /** Replace a ciphertext as it is (no version bump: the value did not change). */
  async setConnectionCiphertext(db: Db, id: string, enc: string): Promise<void> {
    await db.update(connections).set({ secretsEnc: enc }).where(eq(connections.id, id));
  },
  async setSecretCiphertext(db: Db, id: string, enc: string): Promise<void> {
    await db.update(secrets).set({ valueEnc: enc }).where(eq(secrets.id, id));
  },
  /**
   * The runtime's bundle version for `digest`: unchanged when the digest is the stored one,
   * else one more than before (1 for the first). Serialised per runtime by a row lock.
   */
  async bundleVersionFor(db: Db, runtimeId: string, digest: string): Promise<number> {
    await db
      .insert(runtimeCredentialVersions)
      .values({ runtimeId, version: 1, digest })
      .onConflictDoNothing();
    const [row] = await db
      .select()
      .from(runtimeCredentialVersions)
      .where(eq(runtimeCredentialVersions.runtimeId, runtimeId))
      .for('update');
    if (!row) throw new Error(`runtime ${runtimeId} has no credential version row`);
    if (row.digest === digest) return row.version;
    const version = row.version + 1;
    await db
      .update(runtimeCredentialVersions)
      .set({ version, digest, updatedAt: new Date() })
      .where(eq(runtimeCredentialVersions.runtimeId, runtimeId));
    return version;
  },
};
