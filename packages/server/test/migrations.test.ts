import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { canonicalJson, sha256Hex } from '@spin/protocol';
import { drizzle } from 'drizzle-orm/pglite';
import { describe, expect, it } from 'vitest';
import type { Db } from '../src/db/connection.js';
import * as schema from '../src/db/schema.js';
import { AuditService } from '../src/services/auditService.js';

const dir = fileURLToPath(new URL('../drizzle/', import.meta.url));

/** Migrations after 0002, applied by tests that start from the 0002 schema. */
const LATER_MIGRATIONS = [
  '0003_notebook_settings.sql',
  '0004_session_owner_participants.sql',
  '0005_invitations_rate_limits.sql',
  '0006_workspace_tree.sql',
  '0007_notebook_ipynb_versions_tags_audit_chain.sql',
];
/** An audit chain key, as `masterKey.deriveKey(AUDIT_KEY_INFO)` gives one. */
const CHAIN_KEY = Buffer.alloc(32, 7);

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

describe('migration 0002 (runtime workspaces, json outputs and audit data)', () => {
  /** The audit hash as releases before 0002 computed it (no workspace). */
  async function oldHash(prev: string, e: Record<string, unknown>) {
    const { seq, at, actor, action, subject, data } = e;
    return sha256Hex(prev + canonicalJson({ seq, at, actor, action, subject, data }));
  }

  async function seedAudit(db: PGlite, events: { action: string; data: object }[]) {
    let prev = '0'.repeat(64);
    let seq = 0;
    for (const ev of events) {
      seq++;
      const row = {
        seq,
        at: `2026-11-25T10:00:0${seq}.000Z`,
        actor: 'usr_a',
        subject: null,
        ...ev,
      };
      const hash = await oldHash(prev, row);
      await db.query(
        `insert into audit_log (seq, at, actor, action, subject, data, prev_hash, hash)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [seq, row.at, row.actor, row.action, row.subject, JSON.stringify(row.data), prev, hash],
      );
      prev = hash;
    }
  }

  it('puts each runtime in its registrant’s workspace, keeps the audit chain verifiable and stores NUL outputs', async () => {
    const db = new PGlite();
    try {
      await apply(db, '0000_init.sql');
      await apply(db, '0001_cell_runs.sql');
      await db.exec(`
        insert into users (id, email, name, password_hash, org_role) values
          ('usr_a', 'a@x.test', 'A', 'h', 'admin'), ('usr_b', 'b@x.test', 'B', 'h', 'member');
        insert into workspaces (id, name, created_at) values
          ('ws_first', 'First', '2026-01-01'), ('ws_b_owned', 'B owns', '2026-02-01'),
          ('ws_b_edits', 'B edits', '2026-01-15');
        insert into workspace_members (workspace_id, user_id, role) values
          ('ws_first', 'usr_a', 'owner'), ('ws_b_edits', 'usr_b', 'editor'),
          ('ws_b_owned', 'usr_b', 'owner');
        insert into notebooks (id, workspace_id, title, cells) values ('nb_1', 'ws_first', 't', '[]');
      `);
      const jwk = JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'x', kid: 'k' });
      for (const [id, by] of [
        ['rt_by_b', 'usr_b'],
        ['rt_by_system', 'system:system'],
        ['rt_by_gone', 'usr_deleted'],
      ]) {
        await db.query(
          `insert into runtimes (id, name, url, signing_jwk, encryption_jwk, fingerprint, registered_by)
           values ($1, 'n', 'http://h', $2, $2, 'SHA256:00', $3)`,
          [id, jwk, by],
        );
      }
      await seedAudit(db, [
        { action: 'user.signup', data: { email: 'a@x.test' } },
        { action: 'runtime.registered', data: { name: 'n', n: 1.5, nested: { b: [1, 'x'] } } },
        { action: 'notebook.created', data: { title: 'T', workspaceId: 'ws_first' } },
      ]);
      await db.query(
        `insert into cell_runs (notebook_id, cell_id, jti, status, started_at, ended_at, outputs)
         values ('nb_1', 'c', 'j', 'ok', now(), now(), $1)`,
        [JSON.stringify([{ output_type: 'stream', name: 'stdout', text: 'old\n' }])],
      );

      await apply(db, '0002_runtime_workspaces_json_outputs.sql');

      const rts = await db.query<{ id: string; workspace_id: string }>(
        'select id, workspace_id from runtimes order by id',
      );
      expect(rts.rows).toEqual([
        { id: 'rt_by_b', workspace_id: 'ws_b_owned' },
        { id: 'rt_by_gone', workspace_id: 'ws_first' },
        { id: 'rt_by_system', workspace_id: 'ws_first' },
      ]);

      // the plain chain written before is re-chained with the key (issue 7) and verifies
      for (const file of LATER_MIGRATIONS) await apply(db, file);
      const audit = new AuditService(drizzle({ client: db, schema }) as unknown as Db, CHAIN_KEY);
      expect(await audit.upgradeLegacyChain()).toEqual({ status: 'keyed', entries: 3 });
      expect(await audit.verify()).toEqual({ ok: true, count: 4, brokenAt: null, reason: null });
      const old = await db.query<{ workspace_id: string | null }>(
        'select workspace_id from audit_log',
      );
      expect(old.rows.every((r) => r.workspace_id === null)).toBe(true);
      await audit.append({
        actor: 'usr_a',
        workspaceId: 'ws_first',
        action: 'cell.executed',
        subject: 'j2',
        data: { note: 'done\u0000 \ud800' },
      });
      expect(await audit.verify()).toMatchObject({ ok: true, count: 5 });

      // outputs with NUL and unpaired surrogates are stored and read back exactly
      const outputs = [{ output_type: 'stream', name: 'stdout', text: 'done\u0000\ud800\n' }];
      await db.query(
        `insert into cell_runs (notebook_id, cell_id, jti, status, started_at, ended_at, outputs)
         values ('nb_1', 'c2', 'j2', 'ok', now(), now(), $1)`,
        [JSON.stringify(outputs)],
      );
      const runs = await db.query<{ cell_id: string; outputs: unknown }>(
        'select cell_id, outputs from cell_runs order by cell_id',
      );
      expect(runs.rows).toEqual([
        { cell_id: 'c', outputs: [{ output_type: 'stream', name: 'stdout', text: 'old\n' }] },
        { cell_id: 'c2', outputs },
      ]);
    } finally {
      await db.close();
    }
  });

  it('creates a Default workspace for runtimes registered before anyone signed up', async () => {
    const db = new PGlite();
    try {
      await apply(db, '0000_init.sql');
      await apply(db, '0001_cell_runs.sql');
      await db.query(
        `insert into runtimes (id, name, url, signing_jwk, encryption_jwk, fingerprint, registered_by)
         values ('rt_local', 'local', 'http://h', '{}', '{}', 'SHA256:00', 'system:system')`,
      );
      await apply(db, '0002_runtime_workspaces_json_outputs.sql');
      const ws = await db.query<{ id: string; name: string }>('select id, name from workspaces');
      expect(ws.rows).toEqual([
        { id: expect.stringMatching(/^ws_[0-9a-f]{32}$/), name: 'Default' },
      ]);
      const rt = await db.query<{ workspace_id: string }>('select workspace_id from runtimes');
      expect(rt.rows).toEqual([{ workspace_id: ws.rows[0]!.id }]);
    } finally {
      await db.close();
    }
  });

  it('creates no workspace when there are no runtimes', async () => {
    const db = new PGlite();
    try {
      for (const f of [
        '0000_init.sql',
        '0001_cell_runs.sql',
        '0002_runtime_workspaces_json_outputs.sql',
      ]) {
        await apply(db, f);
      }
      expect((await db.query('select * from workspaces')).rows).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

describe('migration 0003 (notebook settings)', () => {
  it('gives existing notebooks empty settings (the defaults) and keeps their cells', async () => {
    const db = new PGlite();
    try {
      await apply(db, '0000_init.sql');
      await apply(db, '0001_cell_runs.sql');
      await apply(db, '0002_runtime_workspaces_json_outputs.sql');
      await db.exec(`insert into workspaces (id, name) values ('w', 'W')`);
      const cells = [{ id: 'b', type: 'shell', source: 'ls' }];
      await db.query(
        `insert into notebooks (id, workspace_id, title, cells) values ('n', 'w', 't', $1)`,
        [JSON.stringify(cells)],
      );
      await apply(db, '0003_notebook_settings.sql');
      const nb = await db.query<{ cells: unknown; settings: unknown }>(
        'select cells, settings from notebooks',
      );
      expect(nb.rows).toEqual([{ cells, settings: {} }]);
    } finally {
      await db.close();
    }
  });
});

describe('migration 0007 (ipynb, tags, versions)', () => {
  it('keeps the current state of every existing notebook as its first version', async () => {
    const db = new PGlite();
    try {
      for (const file of ['0000_init.sql', '0001_cell_runs.sql']) await apply(db, file);
      for (const file of [
        '0002_runtime_workspaces_json_outputs.sql',
        '0003_notebook_settings.sql',
      ]) {
        await apply(db, file);
      }
      await db.exec(`insert into workspaces (id, name) values ('w', 'W')`);
      const cells = [{ id: 'a', type: 'python', source: 'print(1)' }];
      await db.query(
        `insert into notebooks (id, workspace_id, title, cells, version, updated_at)
         values ('n', 'w', 'Saved thrice', $1, 3, '2026-11-30T08:00:00Z')`,
        [JSON.stringify(cells)],
      );
      for (const file of LATER_MIGRATIONS.slice(1)) await apply(db, file);

      const nb = await db.query<Record<string, unknown>>(
        'select tags, jupyter, version from notebooks',
      );
      expect(nb.rows).toEqual([{ tags: [], jupyter: null, version: 3 }]);
      const versions = await db.query<Record<string, unknown>>(
        'select notebook_id, version, title, cells, settings, saved_by, restored_from, saved_at from notebook_versions',
      );
      expect(versions.rows).toEqual([
        {
          notebook_id: 'n',
          version: 3,
          title: 'Saved thrice',
          cells,
          settings: {},
          saved_by: null,
          restored_from: null,
          saved_at: new Date('2026-11-30T08:00:00Z'),
        },
      ]);
    } finally {
      await db.close();
    }
  });
});

describe('migration 0007 (keyed audit chain)', () => {
  /** The 0006 schema with a plain SHA-256 chain of `n` entries, written as the old code did. */
  async function previousRelease(n: number): Promise<PGlite> {
    const db = new PGlite();
    for (const file of [
      '0000_init.sql',
      '0001_cell_runs.sql',
      '0002_runtime_workspaces_json_outputs.sql',
      ...LATER_MIGRATIONS.slice(0, 4),
    ]) {
      await apply(db, file);
    }
    let prev = '0'.repeat(64);
    for (let seq = 1; seq <= n; seq++) {
      const row = {
        seq,
        at: `2026-11-25T10:00:0${seq}.000Z`,
        actor: 'usr_a',
        action: 'notebook.created',
        subject: `nb_${seq}`,
        data: { title: `T${seq}` },
        workspaceId: 'ws_1',
      };
      const hash = await sha256Hex(prev + canonicalJson(row));
      await db.query(
        `insert into audit_log (seq, at, actor, workspace_id, action, subject, data, prev_hash, hash)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          seq,
          row.at,
          row.actor,
          row.workspaceId,
          row.action,
          row.subject,
          JSON.stringify(row.data),
          prev,
          hash,
        ],
      );
      prev = hash;
    }
    await apply(db, '0007_notebook_ipynb_versions_tags_audit_chain.sql');
    return db;
  }
  const auditOf = (db: PGlite, key = CHAIN_KEY) =>
    new AuditService(drizzle({ client: db, schema }) as unknown as Db, key);

  it('re-chains the entries of the previous release with the key, keeping their content', async () => {
    const db = await previousRelease(3);
    try {
      const before = await db.query(
        'select seq, at, actor, workspace_id, action, subject, data from audit_log order by seq',
      );
      const audit = auditOf(db);
      expect(await audit.verify()).toMatchObject({ ok: false, brokenAt: 1 });
      expect(await audit.upgradeLegacyChain()).toEqual({ status: 'keyed', entries: 3 });
      expect(await audit.verify()).toEqual({ ok: true, count: 4, brokenAt: null, reason: null });
      const after = await db.query(
        'select seq, at, actor, workspace_id, action, subject, data from audit_log where seq <= 3 order by seq',
      );
      expect(after.rows).toEqual(before.rows);
      const marker = await db.query<{ action: string; chain: string }>(
        'select action, chain from audit_log where seq = 4',
      );
      expect(marker.rows).toEqual([{ action: 'audit.chain_keyed', chain: 'hmac-sha256' }]);
      // it runs once: a second start changes nothing
      expect(await audit.upgradeLegacyChain()).toEqual({ status: 'nothing_to_do' });
      // and the chain is keyed: another key does not verify it
      expect(await auditOf(db, Buffer.alloc(32, 8)).verify()).toMatchObject({
        ok: false,
        brokenAt: 1,
      });
    } finally {
      await db.close();
    }
  });

  it('refuses to re-chain a plain chain that was already tampered with, changing nothing', async () => {
    const db = await previousRelease(3);
    try {
      await db.exec(`update audit_log set data = '{"title":"forged"}' where seq = 2`);
      const before = await db.query('select * from audit_log order by seq');
      const audit = auditOf(db);
      expect(await audit.upgradeLegacyChain()).toEqual({
        status: 'refused',
        reason: 'the unkeyed chain is broken at seq 2',
      });
      expect((await db.query('select * from audit_log order by seq')).rows).toEqual(before.rows);
      expect(await audit.verify()).toMatchObject({ ok: false, brokenAt: 1 });
    } finally {
      await db.close();
    }
  });
});
