import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { signUpAdmin, startTestServer } from './fixtures.js';
import { POSTGRES_ADMIN_URL } from './testDatabase.js';

describe('PostgreSQL connections killed under a running server', () => {
  it('logs the disconnect, does not crash, and serves the next request on a new connection', async () => {
    const t = await startTestServer('postgres');
    try {
      const admin = await signUpAdmin(t);
      const dbName = new URL(t.db.databaseUrl!).pathname.slice(1);
      const killer = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await killer.connect();
      try {
        const killed = await killer.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1',
          [dbName],
        );
        expect(killed.rowCount).toBeGreaterThan(0);
      } finally {
        await killer.end();
      }
      await expect.poll(() => t.logs.join('')).toContain('database connection error');
      const res = await admin.request('GET', '/api/v1/workspaces');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual([expect.objectContaining({ name: 'Default', role: 'owner' })]);
    } finally {
      await t.close();
    }
  });
});
