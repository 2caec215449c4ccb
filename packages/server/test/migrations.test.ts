import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../drizzle/', import.meta.url));

async function apply(db: PGlite, file: string): Promise<void> {
  for (const statement of readFileSync(dir + file, 'utf8').split('--> statement-breakpoint')) {
    await db.exec(statement);
  }
}

describe('migration 0001 (cell_runs)', () => {
  it('moves outputs and lastRun of existing notebooks out of notebooks.cells, keeping cell order', async () => {
    const db = new PGlite();
    try {
      await apply(db, '0000_init.sql');
      await db.exec(`insert into workspaces (id, name) values ('w', 'W')`);
      const cells = [
        {
          id: 'a',
          type: 'python',
          source: 'print(1)',
          outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }],
          lastRun: {
            jti: 'j1',
            status: 'ok',
            startedAt: '2026-11-25T10:00:00.000Z',
            endedAt: '2026-11-25T10:00:01.000Z',
            executionCount: 4,
          },
        },
        { id: 'b', type: 'shell', source: 'ls', outputs: [], lastRun: null },
      ];
      await db.query(
        `insert into notebooks (id, workspace_id, title, cells) values ('n', 'w', 't', $1)`,
        [JSON.stringify(cells)],
      );
      await apply(db, '0001_cell_runs.sql');

      const nb = await db.query<{ cells: unknown }>('select cells from notebooks');
      expect(nb.rows[0]!.cells).toEqual([
        { id: 'a', type: 'python', source: 'print(1)' },
        { id: 'b', type: 'shell', source: 'ls' },
      ]);
      const runs = await db.query<Record<string, unknown>>(
        'select notebook_id, cell_id, jti, status, execution_count, outputs from cell_runs',
      );
      expect(runs.rows).toEqual([
        {
          notebook_id: 'n',
          cell_id: 'a',
          jti: 'j1',
          status: 'ok',
          execution_count: 4,
          outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }],
        },
      ]);
    } finally {
      await db.close();
    }
  });
});

describe('migration 0002 (notebook settings)', () => {
  it('gives existing notebooks empty settings (the defaults) and keeps their cells', async () => {
    const db = new PGlite();
    try {
      await apply(db, '0000_init.sql');
      await apply(db, '0001_cell_runs.sql');
      await db.exec(`insert into workspaces (id, name) values ('w', 'W')`);
      const cells = [{ id: 'b', type: 'shell', source: 'ls' }];
      await db.query(
        `insert into notebooks (id, workspace_id, title, cells) values ('n', 'w', 't', $1)`,
        [JSON.stringify(cells)],
      );
      await apply(db, '0002_notebook_settings.sql');
      const nb = await db.query<{ cells: unknown; settings: unknown }>(
        'select cells, settings from notebooks',
      );
      expect(nb.rows).toEqual([{ cells, settings: {} }]);
    } finally {
      await db.close();
    }
  });
});
