import {
  importKey,
  openCredentialBundle,
  openProgram,
  type CredentialBundleClaims,
  type Jwks,
  type ProgramClaims,
} from '@spin/protocol';
import { sql } from 'drizzle-orm';
import type { FakeRuntime, TestClient, TestServer } from './fixtures.js';

/** A value no code path should ever show: if it appears anywhere, a secret leaked. */
export const CANARY = 'canary-9f3b7c2e-Zq81-secret-value';

/** The encodings a leak might take (issue 9 acceptance 1). */
export function canaryForms(value = CANARY): string[] {
  return [
    value,
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
    Buffer.from(value).toString('hex'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ];
}

/** Create a connection as `client`; the response. */
export function createConnection(
  client: TestClient,
  workspaceId: string,
  body: Record<string, unknown>,
) {
  return client.request('POST', `/api/v1/workspaces/${workspaceId}/connections`, body);
}

/** Create a secret as `client`; the response. */
export function createSecret(
  client: TestClient,
  workspaceId: string,
  body: Record<string, unknown>,
) {
  return client.request('POST', `/api/v1/workspaces/${workspaceId}/secrets`, body);
}

/** The server's public keys, as a paired runtime holds them. */
export async function serverJwks(t: TestServer): Promise<Jwks> {
  return (await t.server.app.inject({ url: '/.well-known/jwks.json' })).json() as Jwks;
}

/** Open a sealed bundle with the fake runtime's private key, as the runtime would. */
export async function openBundle(
  t: TestServer,
  rt: FakeRuntime,
  jwe: string,
): Promise<CredentialBundleClaims> {
  return openCredentialBundle(jwe, {
    decryptionKey: await importKey(rt.encryption.privateJwk, 'ECDH-ES+A256KW'),
    decryptionKid: rt.encryption.publicJwk.kid,
    serverJwks: await serverJwks(t),
    audience: rt.id,
  });
}

/** Decrypt a compiled program with the fake runtime's private key. */
export async function openCompiled(
  t: TestServer,
  rt: FakeRuntime,
  envelope: string,
): Promise<ProgramClaims> {
  return openProgram(envelope, {
    decryptionKey: await importKey(rt.encryption.privateJwk, 'ECDH-ES+A256KW'),
    decryptionKid: rt.encryption.publicJwk.kid,
    serverJwks: await serverJwks(t),
    audience: rt.id,
    claimJti: async () => true,
  });
}

/** Every row of every table of the public schema as text (what a database dump would show). */
export async function dumpAllTables(t: TestServer): Promise<string> {
  const db = t.server.services.database.db;
  const rowsOf = async (q: ReturnType<typeof sql>) =>
    ((await db.execute(q)) as unknown as { rows: Record<string, unknown>[] }).rows;
  const tables = await rowsOf(
    sql`select table_name as name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const out: string[] = [];
  for (const { name } of tables) {
    const rows = await rowsOf(
      sql`select row_to_json(x)::text as r from ${sql.identifier(String(name))} x`,
    );
    out.push(`-- ${String(name)}`, ...rows.map((r) => String(r.r)));
  }
  return out.join('\n');
}

/** One row of a table as stored, for "unchanged" assertions. */
export async function rowOf(t: TestServer, table: 'connections' | 'secrets', id: string) {
  const { rows } = (await t.server.services.database.db.execute(
    sql`select row_to_json(x)::text as r from ${sql.identifier(table)} x where id = ${id}`,
  )) as unknown as { rows: { r: string }[] };
  return rows[0]?.r ?? null;
}
