import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BLOB_REF_MIME,
  BlobRefSchema,
  TABLE_MIME,
  TableFrameSchema,
  defaultResultVar,
} from '@spin/protocol';
import { CellHarness } from './cellHarness.js';
import { createProcessorHost } from './host.js';
import { PROCESSOR_FACTORIES } from './registry.js';
import type { ProcessorConnection } from './types.js';

/** What a SQL processor's acceptance tests need from its real database. */
export interface SqlAcceptanceSetup {
  /** A connection to the test database with an `items` table of two rows. */
  connection(readOnly: boolean): ProcessorConnection;
  /** Rows in `table` as the database's admin sees them; null when the table does not exist. */
  count(table: string): Promise<number | null>;
  /** The schema (database) `items` lives in, as `browse` names it. */
  schema: string;
  /** A statement that tries to make the session writable again. */
  escape?: string;
  teardown(): Promise<void>;
}

const MILLION = 1_000_000;
const BUDGET = 1_000_000;
const PAGE_ROWS = 1000;

/**
 * The SQL acceptance tests of issue 10, against a real database: a million-row result streams
 * within the output budget and pages to its last row; read-only connections are refused
 * writes by the database; template values are bind parameters.
 */
export function describeSqlAcceptance(
  processor: string,
  setup: () => Promise<SqlAcceptanceSetup>,
  opts: {
    /**
     * A statement returning 1,000,000 rows `(g, md5(g), 200 × 'x')` for g = 1…1,000,000 in
     * order (database servers only: the acceptance item is about PostgreSQL and MariaDB).
     */
    million?: string;
  } = {},
): void {
  const million = opts.million;
  describe(`${processor}: SQL acceptance on the real database`, () => {
    let db: SqlAcceptanceSetup;
    let workDir: string;
    let h: CellHarness;

    beforeAll(async () => {
      db = await setup();
      workDir = mkdtempSync(join(tmpdir(), `spin-sql-${processor}-`));
      h = new CellHarness(workDir, { pageRows: PAGE_ROWS });
    });
    afterAll(async () => {
      await h?.dispose();
      await db?.teardown();
      rmSync(workDir, { recursive: true, force: true });
    });

    it('refuses CREATE TABLE and INSERT on a read-only connection, and nothing is written', async () => {
      const ro = db.connection(true);
      const create = await h.run(processor, ro, 'CREATE TABLE spin_made_here (id int)');
      expect(create.status).toBe('error');
      expect(create.errorText).toMatch(
        /^ReadOnly: processor\.read_only: this connection is read-only/,
      );
      expect(await db.count('spin_made_here')).toBeNull();

      const insert = await h.run(processor, ro, "INSERT INTO items VALUES (3, 'web-3', 1)");
      expect(insert.status).toBe('error');
      expect(insert.errorText).toContain('processor.read_only:');
      expect(await db.count('items')).toBe(2);

      if (db.escape) {
        // a cell cannot make the session writable for the next one
        await h.run(processor, ro, db.escape);
        const again = await h.run(processor, ro, "INSERT INTO items VALUES (4, 'web-4', 1)");
        expect(again.errorText).toContain('processor.read_only:');
        expect(await db.count('items')).toBe(2);
      }
    });

    it('browses schemas, tables and columns, and completes table and column names', async () => {
      const instance = PROCESSOR_FACTORIES[processor]!.create(
        db.connection(true),
        createProcessorHost({ logger: pino({ level: 'silent' }) }),
      );
      try {
        expect(await instance.browse!([])).toContainEqual({ name: db.schema, kind: 'schema' });
        expect(await instance.browse!([db.schema])).toContainEqual({
          name: 'items',
          kind: 'table',
        });
        const columns = (await instance.browse!([db.schema, 'items'])) as { name: string }[];
        expect(columns.map((c) => c.name)).toEqual(['id', 'name', 'ratio']);
        expect(columns[1]).toMatchObject({ kind: 'column', nullable: false });
        expect(await instance.complete!('SELECT * FROM ite', 17)).toContain('items');
        expect(await instance.complete!('SELECT rat', 10)).toContain('ratio');
        expect(await instance.complete!('SELECT rat', 10)).not.toContain('items');
      } finally {
        await instance.dispose();
      }
    });

    it('binds template values as parameters: an injection attempt is just a value', async () => {
      const rw = db.connection(false);
      const attack = "x'; DROP TABLE items; --";
      const r = await h.run(processor, rw, 'SELECT count(*) AS n FROM items WHERE name = {{who}}', {
        vars: { who: attack },
      });
      expect(r.errorText).toBe('');
      expect(h.results.get(defaultResultVar('cell'))?.preview).toEqual([{ n: 0 }]);
      expect(await db.count('items')).toBe(2);

      const hit = await h.run(
        processor,
        rw,
        'SELECT id FROM items WHERE name = {{who}} AND ratio > {{min}}',
        {
          vars: { who: 'web-2', min: 1 },
        },
      );
      expect(hit.errorText).toBe('');
      expect(h.results.get(defaultResultVar('cell'))?.preview).toEqual([{ id: 2 }]);
    });

    if (million)
      it(
        'streams 1,000,000 rows within the output budget, and the client pages to the last row',
        { timeout: 600_000 },
        async () => {
          const gc = (globalThis as { gc?: () => void }).gc;
          gc?.();
          const base = process.memoryUsage().heapUsed;
          let peak = base;
          const sample = setInterval(
            () => (peak = Math.max(peak, process.memoryUsage().heapUsed)),
            20,
          );
          let journalBytes = 0;
          const r = await h.run(processor, db.connection(true), million, {
            limits: { outputBytes: BUDGET, resultBytes: 16 * 1024 * 1024, timeoutMs: 600_000 },
            onEvent: (e) => (journalBytes += JSON.stringify(e.data).length),
          });
          clearInterval(sample);
          expect(r.errorText).toBe('');
          expect(r.status).toBe('ok');

          // What the session journal (and every client) got stays within the budget.
          expect(journalBytes).toBeLessThan(BUDGET + 64 * 1024);
          // The first pages are shown as tables; the rest spilled to one complete blob.
          const pages = r.outputs.flatMap((o) =>
            o.output_type === 'display_data' && o.data[TABLE_MIME]
              ? [TableFrameSchema.parse(o.data[TABLE_MIME])]
              : [],
          );
          expect(pages.length).toBeGreaterThan(0);
          const inlineRows = pages.reduce((n, p) => n + (p.columns[0]?.length ?? 0), 0);
          expect(pages[0]!.columns[0]![0]).toBe(1);
          const refOut = r.outputs.find(
            (o) => o.output_type === 'display_data' && o.data[BLOB_REF_MIME],
          );
          const ref = BlobRefSchema.parse(
            refOut?.output_type === 'display_data' && refOut.data[BLOB_REF_MIME],
          );
          expect(ref.state).toBe('complete');

          // Page the blob from its first line to its last: every row, in order.
          let header: { columns: string[]; fromRow: number } | null = null;
          let bytes = 0;
          let last = '';
          const lines = await h.pageBlob(ref.id, (line, n) => {
            bytes += line.length + 1;
            if (n === 1) {
              header = JSON.parse(line) as { columns: string[]; fromRow: number };
              return;
            }
            const g = Number(line.slice(1, line.indexOf(',')));
            if (g !== header!.fromRow + n - 1) throw new Error(`line ${n} holds row ${g}`);
            last = line;
          });
          expect(header).toEqual({ columns: ['g', 'h', 'pad'], fromRow: inlineRows });
          expect(lines).toBe(1 + MILLION - inlineRows);
          expect(JSON.parse(last)).toEqual([
            MILLION,
            createHash('md5').update(String(MILLION)).digest('hex'),
            'x'.repeat(200),
          ]);
          expect(ref.lines).toBe(lines);

          // The runtime never held the result: its heap grew by far less than the rows' size.
          expect(bytes).toBeGreaterThan(200 * MILLION);
          expect(peak - base).toBeLessThan(bytes / 2);

          // The CellResult counted every row and says its stored copy was cut at its limit.
          const stored = h.results.get(defaultResultVar('cell'));
          expect(stored?.meta).toMatchObject({ rowCount: MILLION, truncated: true });
          expect(stored?.preview.length).toBe(1000);
        },
      );
  });
}
