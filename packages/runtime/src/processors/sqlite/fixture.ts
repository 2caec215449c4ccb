import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';

/** A SQLite file with a small `items` table, made with better-sqlite3 itself. */
export function createTestFile(dir: string): string {
  const file = join(dir, `spin-conf-${crypto.randomUUID()}.db`);
  const db = new Database(file);
  db.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, ratio REAL);
           INSERT INTO items VALUES (1, 'web-1', 0.5), (2, 'web-2', 2.25);`);
  db.close();
  return file;
}

/** Whether a process with `marker` on its command line is running (the query process). */
export function processRunning(marker: string): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (cmd.includes(marker) && state !== 'Z') return true;
    } catch {
      // the process ended while we looked
    }
  }
  return false;
}

const COUNT_FOREVER =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';

/** SQLite runs on a temporary file; each query runs in its own process (see sqliteProcessor). */
export const fixture: ProcessorFixture = {
  processor: 'sqlite',
  async setup({ workDir }) {
    const file = createTestFile(workDir);
    const running = async () => processRunning(file);
    return {
      connection: { name: 'local', config: { path: file }, secrets: {} },
      secrets: [],
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
      slow: { cell: { source: COUNT_FOREVER }, started: running, running },
      large: {
        cell: {
          source:
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2000) SELECT replace(hex(zeroblob(50)), '0', 'x') AS pad FROM c",
        },
      },
      paged: {
        cell: {
          source:
            'WITH RECURSIVE c(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM c LIMIT 1200) SELECT g FROM c',
        },
        rows: 1200,
      },
      errors: {
        authFailed: {
          notApplicable: 'SQLite has no authentication: access is the file permissions',
          sourceHasNone: true,
        },
        notFound: {
          cell: { source: 'SELECT * FROM no_such_table' },
          message: /no such table: no_such_table/,
        },
        rateLimited: { notApplicable: 'SQLite has no rate limits', sourceHasNone: true },
        badQuery: { cell: { source: 'SELEC 1' }, message: /near "SELEC": syntax error/ },
      },
      unhealthy: { name: 'missing', config: { path: join(workDir, 'missing.db') }, secrets: {} },
    };
  },
};
