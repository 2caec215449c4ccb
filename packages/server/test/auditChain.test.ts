import { canonicalJson, sha256Hex, type AuditEntry } from '@spin/protocol';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../src/db/schema.js';
import {
  ADMIN,
  addMember,
  anon,
  createNotebook,
  createWorkspace,
  dbKinds,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

type Row = typeof auditLog.$inferSelect;

describe.each(dbKinds)('keyed audit chain, filters and export (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let otherWs: string;
  const db = () => t.server.services.database.db;
  const exec = (q: ReturnType<typeof sql>) => db().execute(q);
  const verify = () => t.server.services.audit.verify();

  async function rows(): Promise<Row[]> {
    return db().select().from(auditLog).orderBy(auditLog.seq);
  }

  /** Tamper inside `fn`, then put the log back exactly as it was for the next case. */
  async function tampering(fn: () => Promise<void>): Promise<void> {
    const saved = await rows();
    try {
      await fn();
    } finally {
      await exec(sql`delete from audit_log`);
      await db().insert(auditLog).values(saved);
    }
    expect(await verify()).toMatchObject({ ok: true });
  }

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    otherWs = await createWorkspace(t, 'Other');
    for (const title of ['one', 'two', 'three']) await createNotebook(admin, title);
    await createNotebook(admin, 'elsewhere', otherWs);
  });
  afterAll(() => t.close());

  it('writes keyed entries that verify', async () => {
    const all = await rows();
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.every((r) => r.chain === 'hmac-sha256')).toBe(true);
    expect(await verify()).toEqual({ ok: true, count: all.length, brokenAt: null, reason: null });
  });

  it('detects an edited entry', () =>
    tampering(async () => {
      await exec(sql`update audit_log set data = '{"title":"forged"}'::json where seq = 3`);
      const result = await verify();
      expect(result).toMatchObject({ ok: false, brokenAt: 3, count: 2 });
      expect(result.reason).toContain('hash mismatch');
    }));

  it('detects a deleted entry', () =>
    tampering(async () => {
      await exec(sql`delete from audit_log where seq = 2`);
      const result = await verify();
      expect(result).toMatchObject({ ok: false, brokenAt: 3, count: 1 });
      expect(result.reason).toContain('seq gap');
    }));

  it('detects reordered entries', () =>
    tampering(async () => {
      await exec(sql`update audit_log set seq = -1 where seq = 2`);
      await exec(sql`update audit_log set seq = 2 where seq = 3`);
      await exec(sql`update audit_log set seq = 3 where seq = -1`);
      const result = await verify();
      expect(result).toMatchObject({ ok: false, brokenAt: 2, count: 1 });
      expect(result.reason).toContain('prevHash');
    }));

  /** Re-hash every entry the way the unkeyed chain did: all links consistent, no key. */
  async function recomputeWithSha256(chain: 'sha256' | 'hmac-sha256'): Promise<void> {
    let prev = '0'.repeat(64);
    for (const row of await rows()) {
      const { seq, at, actor, action, subject, data } = row;
      const workspaceId = row.workspaceId ?? undefined;
      const hash = await sha256Hex(
        prev + canonicalJson({ seq, at, actor, action, subject, data, workspaceId }),
      );
      await exec(
        sql`update audit_log set prev_hash = ${prev}, hash = ${hash}, chain = ${chain} where seq = ${seq}`,
      );
      prev = hash;
    }
  }

  it('detects a chain fully recomputed with plain SHA-256 (marked keyed)', () =>
    tampering(async () => {
      await exec(sql`update audit_log set data = '{"title":"forged"}'::json where seq = 3`);
      await recomputeWithSha256('hmac-sha256');
      const result = await verify();
      expect(result).toMatchObject({ ok: false, brokenAt: 1, count: 0 });
      expect(result.reason).toContain('hash mismatch');
    }));

  it('detects a chain fully recomputed with plain SHA-256 (marked unkeyed) and does not re-key it', () =>
    tampering(async () => {
      await recomputeWithSha256('sha256');
      const result = await verify();
      expect(result).toMatchObject({ ok: false, brokenAt: 1, count: 0 });
      expect(result.reason).toContain('not keyed');
    }));

  it('audits failed and successful logins without the password', async () => {
    const bad = await anon(t, 'POST', '/api/v1/auth/login', {
      email: ADMIN.email,
      password: 'not the password',
    });
    expect(bad.statusCode).toBe(401);
    const ok = await anon(t, 'POST', '/api/v1/auth/login', {
      email: ADMIN.email,
      password: ADMIN.password,
    });
    expect(ok.statusCode).toBe(200);
    const failed: AuditEntry[] = (
      await admin.request('GET', '/api/v1/audit?action=auth.login_failed')
    ).json().entries;
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      actor: admin.user.id,
      workspaceId: null,
      data: { email: ADMIN.email },
    });
    expect(JSON.stringify(failed)).not.toContain('not the password');
    const logins = (await admin.request('GET', '/api/v1/audit?action=auth.login')).json().entries;
    expect(logins.length).toBeGreaterThanOrEqual(1);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('filters by workspace, actor, action and time range', async () => {
    const all: AuditEntry[] = (await admin.request('GET', '/api/v1/audit?limit=1000')).json()
      .entries;
    const get = async (qs: string): Promise<AuditEntry[]> => {
      const res = await admin.request('GET', `/api/v1/audit?limit=1000&${qs}`);
      expect(res.statusCode).toBe(200);
      return res.json().entries;
    };
    const inOther = await get(`workspaceId=${otherWs}`);
    expect(inOther.map((e) => [e.action, e.data.title])).toEqual([
      ['notebook.created', 'elsewhere'],
    ]);
    const created = await get(`action=notebook.created&actor=${admin.user.id}`);
    expect(created.map((e) => e.data.title)).toEqual(['one', 'two', 'three', 'elsewhere']);
    expect(await get('actor=usr_nobody')).toEqual([]);

    const pivot = all[Math.floor(all.length / 2)]!.at;
    const from = await get(`from=${encodeURIComponent(pivot)}`);
    const before = await get(`to=${encodeURIComponent(pivot)}`);
    expect(from.every((e) => e.at >= pivot)).toBe(true);
    expect(before.every((e) => e.at < pivot)).toBe(true);
    expect([...before, ...from].map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    // a time with an offset means the same instant
    const shifted = new Date(pivot);
    const withOffset = `${new Date(shifted.getTime() + 2 * 3600_000).toISOString().slice(0, -1)}+02:00`;
    expect((await get(`from=${encodeURIComponent(withOffset)}`)).map((e) => e.seq)).toEqual(
      from.map((e) => e.seq),
    );

    const bad = await admin.request('GET', '/api/v1/audit?from=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('request.invalid');
  });

  it('exports the entries the caller may read as JSON lines', async () => {
    const res = await admin.request('GET', '/api/v1/audit/export');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = res.body.trimEnd().split('\n');
    const exported = lines.map((l) => JSON.parse(l) as AuditEntry);
    const listed = (await admin.request('GET', '/api/v1/audit?limit=1000')).json().entries;
    expect(exported).toEqual(listed);

    // an owner of the other workspace exports only that workspace's entries: no logins, no
    // entries of the default workspace
    const owner = await addMember(t, 'owner', otherWs);
    const theirs = (await owner.request('GET', '/api/v1/audit/export')).body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.every((e) => e.workspaceId === otherWs)).toBe(true);
    const filtered = (await owner.request('GET', '/api/v1/audit/export?action=notebook.created'))
      .body;
    expect(
      filtered
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).data.title),
    ).toEqual(['elsewhere']);

    // a viewer may not read the audit log at all
    const viewer = await addMember(t, 'viewer', otherWs);
    const none = await viewer.request('GET', '/api/v1/audit/export');
    expect(none.statusCode).toBe(403);
    expect(none.json().error.code).toBe('auth.permission_required');
  });
});
