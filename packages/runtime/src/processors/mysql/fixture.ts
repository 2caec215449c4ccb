import mysql from 'mysql2/promise';
import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import type { ProcessorConnection } from '../sdk.js';

/** The machine's MariaDB (root without a password on loopback, DESIGN.md §7). */
export const MYSQL_ADMIN = { host: '127.0.0.1', port: 3306, user: 'root' };

/**
 * A throwaway database on the real MariaDB with a small `items` table, a user with a password
 * (so secrets really travel) and a user allowed one query an hour (the server's own limit).
 */
export async function createTestDatabase(prefix: string): Promise<{
  database: string;
  user: string;
  password: string;
  limitedUser: string;
  admin: mysql.Connection;
  drop(): Promise<void>;
}> {
  const suffix = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  const database = `${prefix}_${suffix}`;
  const user = `spin_u_${suffix}`;
  const limitedUser = `spin_l_${suffix}`;
  const password = `mysql-password-canary-${crypto.randomUUID()}`;
  const admin = await mysql.createConnection({ ...MYSQL_ADMIN, multipleStatements: true });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [user, password]);
  await admin.query(`GRANT ALL ON ${database}.* TO ?@'%'`, [user]);
  await admin.query(`GRANT PROCESS ON *.* TO ?@'%'`, [user]);
  await admin.query(`CREATE USER ?@'%' WITH MAX_QUERIES_PER_HOUR 1`, [limitedUser]);
  await admin.query(`GRANT SELECT ON ${database}.* TO ?@'%'`, [limitedUser]);
  await admin.query(
    `CREATE TABLE ${database}.items (id int PRIMARY KEY, name varchar(64) NOT NULL, ratio double);
     INSERT INTO ${database}.items VALUES (1, 'web-1', 0.5), (2, 'web-2', 2.25)`,
  );
  return {
    database,
    user,
    password,
    limitedUser,
    admin,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.query(`DROP USER IF EXISTS ?@'%', ?@'%'`, [user, limitedUser]);
      await admin.end();
    },
  };
}

/** MySQL runs against the real MariaDB on this machine, in a database made for the run. */
export const fixture: ProcessorFixture = {
  processor: 'mysql',
  async setup() {
    const t = await createTestDatabase('spin_conf_my');
    const connection = (
      over: Record<string, unknown> = {},
      password = t.password,
    ): ProcessorConnection => ({
      name: 'mariadb',
      config: { host: '127.0.0.1', port: 3306, database: t.database, user: t.user, ...over },
      secrets: { password },
    });
    const wrong = `mysql-wrong-canary-${crypto.randomUUID()}`;
    const slowRunning = async () => {
      const [rows] = await t.admin.query(
        `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
         WHERE DB = ? AND COMMAND = 'Query' AND INFO LIKE 'SELECT SLEEP(60)%'`,
        [t.database],
      );
      return Number((rows as { n: number }[])[0]!.n) > 0;
    };
    return {
      connection: connection(),
      secrets: [t.password, wrong],
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
        cell: { source: 'SELECT SLEEP(60) /* spin conformance */' },
        started: slowRunning,
        running: slowRunning,
      },
      large: { cell: { source: "SELECT REPEAT('x', 100) AS pad FROM seq_1_to_2000" } },
      paged: { cell: { source: 'SELECT seq AS g FROM seq_1_to_1200' }, rows: 1200 },
      errors: {
        authFailed: {
          cell: { source: 'SELECT 1' },
          connection: connection({}, wrong),
          message: /Access denied for user/,
        },
        notFound: {
          cell: { source: 'SELECT * FROM no_such_table' },
          message: /Table '.*no_such_table' doesn't exist/,
        },
        rateLimited: {
          cell: { source: 'SELECT 1' },
          connection: connection({ user: t.limitedUser }, ''),
          message: /has exceeded the 'max_(questions|queries_per_hour)' resource/,
        },
        badQuery: {
          cell: { source: 'SELEC 1' },
          message: /You have an error in your SQL syntax.*near 'SELEC 1'/,
        },
      },
      unhealthy: { name: 'down', config: { host: '127.0.0.1', port: 9 }, secrets: {} },
      leakProbe: { cell: { source: 'SELECT CURRENT_USER() AS u' } },
      teardown: () => t.drop(),
    };
  },
};
