import { appendFile, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../src/db/connection.js';
import { migrationsKey } from './testDatabase.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'spin-migrations-'));
  dirs.push(dir);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe('the PGlite template cache key', () => {
  it('is the same for the same migrations and changes when one is edited in place', async () => {
    const dir = await copyOfMigrations();
    expect(await migrationsKey(dir)).toBe(await migrationsKey(MIGRATIONS_DIR));
    // an in-place edit leaves the journal untouched: only the SQL file differs
    const sql = (await readdir(dir)).find((f) => f.endsWith('.sql'))!;
    await appendFile(join(dir, sql), '\n-- edited\n');
    expect(await migrationsKey(dir)).not.toBe(await migrationsKey(MIGRATIONS_DIR));
  });

  it('changes when a snapshot changes', async () => {
    const dir = await copyOfMigrations();
    const before = await migrationsKey(dir);
    await appendFile(join(dir, 'meta', '0000_snapshot.json'), ' ');
    expect(await migrationsKey(dir)).not.toBe(before);
  });
});
