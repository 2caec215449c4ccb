import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describeSqlAcceptance } from '../sqlAcceptance.js';
import { createTestFile } from './fixture.js';

describeSqlAcceptance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spin-sqlite-acc-'));
  const file = createTestFile(dir);
  return {
    connection: (readOnly) => ({ name: 'local', config: { path: file, readOnly }, secrets: {} }),
    async count(table) {
      const db = new Database(file, { readonly: true });
      try {
        const found = db
          .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?")
          .get(table) as { n: number };
        if (found.n === 0) return null;
        return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    schema: 'main',
    escape: 'PRAGMA query_only = OFF',
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
