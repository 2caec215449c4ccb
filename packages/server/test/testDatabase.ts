import { randomBytes, createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pg from 'pg';
import { MIGRATIONS_DIR, openDatabase } from '../src/db/connection.js';

/** The two database kinds every integration test runs against. */
export const dbKinds = ['pglite', 'postgres'] as const;
export type DbKind = (typeof dbKinds)[number];

/** PostgreSQL reachable on loopback with trust auth (see the brief / CI image). */
export const POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * A key for the migration set: the SHA-256 of every file under the migrations folder (SQL,
 * journal, snapshots), names included, so editing a migration in place gets a new template.
 */
export async function migrationsKey(dir = MIGRATIONS_DIR): Promise<string> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash
      .update(relative(dir, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A migrated PGlite data folder, created once per migration set and cached under the OS temp
 * dir: initdb takes seconds, copying the folder takes milliseconds.
 */
async function pgliteTemplate(): Promise<string> {
  const key = await migrationsKey();
  const dir = join(tmpdir(), `spin-pglite-template-${key}`);
  if (await exists(join(dir, 'PG_VERSION'))) return dir;
  const building = `${dir}.building-${randomBytes(4).toString('hex')}`;
  const db = await openDatabase({ databaseUrl: null, pgliteDir: building });
  await db.migrate();
  await db.close();
  // Another test worker may have won the race; then ours is simply discarded.
  await rename(building, dir).catch(() => rm(building, { recursive: true, force: true }));
  return dir;
}

/** A fresh, empty database of the given kind; `drop()` removes it. */
export interface TestDatabase {
  kind: DbKind;
  dataDir: string;
  databaseUrl: string | null;
  drop(): Promise<void>;
}

/** Create a fresh database: a copied PGlite folder, or a new `spin_test_<random>` database. */
export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'spin-server-test-'));
  if (kind === 'pglite') {
    await cp(await pgliteTemplate(), join(dataDir, 'db'), { recursive: true });
    return {
      kind,
      dataDir,
      databaseUrl: null,
      drop: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `spin_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    kind,
    dataDir,
    databaseUrl: `postgres://postgres@127.0.0.1:5432/${name}`,
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
