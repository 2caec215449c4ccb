import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import {
  importKey,
  sealCredentialBundle,
  type BundleConnection,
  type BundleSecret,
  type JournalEvent,
  type ProgramCredentials,
  type RuntimeMessage,
} from '@spin/protocol';
import { ISSUER, type Harness, type TestClient } from './fixtures.js';

export const WORKSPACE = 'ws_ops';

/** A bundle secret (spin_store unless `ref` says otherwise). */
export function secret(id: string, name: string, over: Partial<BundleSecret> = {}): BundleSecret {
  return {
    id,
    name,
    workspaceId: WORKSPACE,
    version: 1,
    ref: { storeType: 'spin_store' },
    ...over,
  };
}

export function connection(
  over: Partial<BundleConnection> & Pick<BundleConnection, 'id' | 'name' | 'processor'>,
): BundleConnection {
  return {
    workspaceId: WORKSPACE,
    version: 1,
    config: {},
    secrets: {},
    secretIds: {},
    ...over,
  };
}

/** Seal a bundle for the harness' runtime with its fake server's key (as the server would). */
export async function sealBundle(
  h: Harness,
  version: number,
  content: { connections?: BundleConnection[]; secrets?: BundleSecret[] },
  over: { aud?: string } = {},
): Promise<string> {
  const identity = h.server.identity;
  return sealCredentialBundle(
    {
      iss: ISSUER,
      aud: over.aud ?? identity.runtimeId,
      jti: crypto.randomUUID(),
      iat: Math.floor(Date.now() / 1000),
      version,
      connections: content.connections ?? [],
      secrets: content.secrets ?? [],
    },
    {
      signingKey: await importKey(h.server.key.privateJwk, 'EdDSA'),
      signingKid: h.server.key.publicJwk.kid,
      recipientKey: await importKey(identity.keys.encryption as JWK, 'ECDH-ES+A256KW'),
      recipientKid: identity.keys.encryption.kid,
    },
  );
}

let nextRequest = 1;

/** Send a `credentials` message; resolves with the `credentials_ack` or `error` answer. */
export async function relay(client: TestClient, bundle: string): Promise<RuntimeMessage> {
  const requestId = `cred${nextRequest++}`;
  client.send({ type: 'credentials', requestId, bundle });
  return client.next(
    (m) => (m.type === 'credentials_ack' || m.type === 'error') && m.requestId === requestId,
  );
}

/** The `credentials` claim of a program naming these secrets (and connection). */
export function uses(
  bundleVersion: number,
  secrets: Record<string, string>,
  conn: { id: string; name: string } | null = null,
): { workspace: string; credentials: ProgramCredentials } {
  return { workspace: WORKSPACE, credentials: { bundleVersion, connection: conn, secrets } };
}

/** Everything a user sees of a run's output, as text. */
export function outputText(events: JournalEvent[]): string {
  return events
    .map((e) =>
      e.type === 'stream'
        ? e.data.text
        : e.type === 'error'
          ? `${e.data.ename}: ${e.data.evalue}\n${e.data.traceback.join('\n')}`
          : e.type === 'cell_ended' || e.type === 'cell_started'
            ? ''
            : JSON.stringify(e.data),
    )
    .join('');
}

export function endOf(events: JournalEvent[]) {
  const last = events.at(-1);
  if (last?.type !== 'cell_ended') throw new Error('no cell_ended');
  return last.data;
}

/** Files under `dir` whose bytes contain any of `needles` (with the needle that matched). */
export function filesContaining(dir: string, needles: string[]): string[] {
  const found: string[] = [];
  const bufs = needles.map((n) => Buffer.from(n, 'utf8'));
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        const bytes = readFileSync(p);
        bufs.forEach((b, i) => {
          if (bytes.includes(b)) found.push(`${p}: ${needles[i]}`);
        });
      }
    }
  };
  walk(dir);
  return found;
}
