import pg from 'pg';
import { describeSqlAcceptance } from '../sqlAcceptance.js';
import { PG_ADMIN, createTestDatabase } from './fixture.js';

describeSqlAcceptance(
  'postgres',
  async () => {
    const t = await createTestDatabase('spin_acc_pg');
    const db = new pg.Client({ ...PG_ADMIN, database: t.database });
    await db.connect();
    return {
      connection: (readOnly) => ({
        name: 'pg',
        config: { host: '127.0.0.1', port: 5432, database: t.database, user: 'postgres', readOnly },
        secrets: {},
      }),
      async count(table) {
        const exists = await db.query('SELECT to_regclass($1) AS t', [table]);
        if (exists.rows[0].t === null) return null;
        return (await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
      },
      schema: 'public',
      escape: 'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
      async teardown() {
        await db.end();
        await t.drop();
      },
    };
  },
  {
    million:
      "SELECT g, md5(g::text) AS h, repeat('x', 200) AS pad FROM generate_series(1, 1000000) AS g",
  },
);
