import mysql from 'mysql2/promise';
import { describeSqlAcceptance } from '../sqlAcceptance.js';
import { MYSQL_ADMIN, createTestDatabase } from './fixture.js';

describeSqlAcceptance(
  'mysql',
  async () => {
    const t = await createTestDatabase('spin_acc_my');
    const admin = await mysql.createConnection({ ...MYSQL_ADMIN, database: t.database });
    return {
      connection: (readOnly) => ({
        name: 'mariadb',
        config: { host: '127.0.0.1', port: 3306, database: t.database, user: t.user, readOnly },
        secrets: { password: t.password },
      }),
      async count(table) {
        const [found] = await admin.query(
          'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
          [t.database, table],
        );
        if (Number((found as { n: number }[])[0]!.n) === 0) return null;
        const [rows] = await admin.query(
          `SELECT COUNT(*) AS n FROM \`${t.database}\`.\`${table}\``,
        );
        return Number((rows as { n: number }[])[0]!.n);
      },
      schema: t.database,
      escape: 'SET SESSION TRANSACTION READ WRITE',
      async teardown() {
        await admin.end();
        await t.drop();
      },
    };
  },
  {
    million: "SELECT seq AS g, MD5(seq) AS h, REPEAT('x', 200) AS pad FROM seq_1_to_1000000",
  },
);
