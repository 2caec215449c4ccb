import pg from 'pg';
import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import type { ProcessorConnection } from '../sdk.js';

/** The machine's PostgreSQL (trust auth for local connections, DESIGN.md §7). */
export const PG_ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };

/**
 * A throwaway database on the real PostgreSQL, with a small `items` table, and a role whose
 * connection limit is 0 (the server's own "too many connections" refusal).
 */
export async function createTestDatabase(prefix: string): Promise<{
  database: string;
  limitedRole: string;
  admin: pg.Client;
  drop(): Promise<void>;
}> {
  const suffix = crypto.randomUUID().replace(/-/g, '').slice(0, 12);
  const database = `${prefix}_${suffix}`;
  const limitedRole = `${prefix}_limited_${suffix}`;
  const admin = new pg.Client(PG_ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.query(`CREATE ROLE ${limitedRole} LOGIN CONNECTION LIMIT 0`);
  const db = new pg.Client({ ...PG_ADMIN, database });
  await db.connect();
  await db.query(`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, ratio float8)`);
  await db.query(`INSERT INTO items VALUES (1, 'web-1', 0.5), (2, 'web-2', 2.25)`);
  await db.end();
  return {
    database,
    limitedRole,
    admin,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${limitedRole}`);
      await admin.end();
    },
  };
}

/** PostgreSQL runs against the real server on this machine, in a database made for the run. */
export const fixture: ProcessorFixture = {
  processor: 'postgres',
  async setup() {
    const t = await createTestDatabase('spin_conf_pg');
    const password = `pg-password-canary-${crypto.randomUUID()}`;
    const connection = (over: Record<string, unknown> = {}): ProcessorConnection => ({
      name: 'pg',
      config: { host: '127.0.0.1', port: 5432, database: t.database, user: 'postgres', ...over },
      secrets: { password },
    });
    const slowRunning = async () =>
      (
        await t.admin.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = $1 AND state = 'active' AND query LIKE 'SELECT pg_sleep(60)%'`,
          [t.database],
        )
      ).rows[0].n > 0;
    return {
      connection: connection(),
      secrets: [password],
      query: {
        cell: { source: 'SELECT id, name, ratio FROM items ORDER BY id' },
        check(frames) {
          const table = frames.find((f) => f.type === 'table');
          expect(table?.type === 'table' && table.frame.schema.fields).toEqual([
            { name: 'id', type: 'integer' },
            { name: 'name', type: 'string' },
            { name: 'ratio', type: 'number' },
          ]);
          expect(table?.type === 'table' && table.frame.columns).toEqual([
            [1, 2],
            ['web-1', 'web-2'],
            [0.5, 2.25],
          ]);
        },
      },
      slow: {
        cell: { source: 'SELECT pg_sleep(60) /* spin conformance */' },
        started: slowRunning,
        running: slowRunning,
      },
      large: { cell: { source: "SELECT repeat('x', 100) AS pad FROM generate_series(1, 2000)" } },
      paged: { cell: { source: 'SELECT g FROM generate_series(1, 1200) AS g' }, rows: 1200 },
      errors: {
        authFailed: {
          cell: { source: 'SELECT 1' },
          connection: connection({ user: 'spin_no_such_role' }),
          message: /role "spin_no_such_role" does not exist/,
        },
        notFound: {
          cell: { source: 'SELECT * FROM no_such_table' },
          message: /relation "no_such_table" does not exist/,
        },
        rateLimited: {
          cell: { source: 'SELECT 1' },
          connection: connection({ user: t.limitedRole }),
          message: /too many connections for role/,
        },
        badQuery: { cell: { source: 'SELEC 1' }, message: /syntax error at or near "SELEC"/ },
      },
      unhealthy: { name: 'down', config: { host: '127.0.0.1', port: 9 }, secrets: {} },
      leakProbe: { cell: { source: "SELECT current_setting('application_name') AS app" } },
      teardown: () => t.drop(),
    };
  },
};
