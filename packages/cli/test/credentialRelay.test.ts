import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { NotebookSession, type ServerApi } from '@spin/client';
import { NodeWebSocket } from '@spin/client/node';
import {
  compileCell,
  generateSigningKey,
  importKey,
  sealCredentialBundle,
  sealProgram,
  signAccessToken,
  type CellInput,
  type CompileResponse,
  type KeyPairJwk,
  type Runtime,
  type RuntimeIdentity,
} from '@spin/protocol';
import { startRuntime, type RuntimeHandle } from '@spin/runtime';

const ISSUER = 'http://control-plane.test';
const SID = 'ses_relay';
const USER = 'usr_relay';

/**
 * The control plane's side of the relay (DESIGN.md §1 "Credentials"), built from the same
 * protocol functions the server uses: it seals programs naming the secrets they use, reports
 * `credentialsVersion` in the compile answer, and serves the runtime's sealed bundle on
 * `GET /api/v1/runtimes/:id/credentials?have=N`. The runtime and the client are the real ones.
 */
class ControlPlane {
  version = 1;
  value = 'api-key-v1-' + 'a'.repeat(16);
  /** `have` of every bundle request, and the bundles handed out. */
  readonly fetched: number[] = [];
  readonly bundles: string[] = [];
  reportVersion = true;

  constructor(
    readonly key: KeyPairJwk,
    readonly identity: RuntimeIdentity,
    readonly runtime: Runtime,
  ) {}

  private async sealOpts() {
    return {
      signingKey: await importKey(this.key.privateJwk, 'EdDSA'),
      signingKid: this.key.publicJwk.kid,
      recipientKey: await importKey(this.identity.keys.encryption as JWK, 'ECDH-ES+A256KW'),
      recipientKid: this.identity.keys.encryption.kid,
    };
  }

  api(): ServerApi {
    const api = {
      createSession: async () => ({
        sid: SID,
        notebookId: 'nb_relay',
        runtimeId: this.runtime.id,
        createdAt: new Date().toISOString(),
        ownerId: USER,
        ownerEpoch: 0,
        owner: { id: USER, name: 'Relay' },
        participants: [],
      }),
      accessToken: async () => ({
        token: await signAccessToken(
          {
            iss: ISSUER,
            aud: this.identity.runtimeId,
            sub: USER,
            sid: SID,
            notebook: 'nb_relay',
            role: 'editor',
            perms: ['view', 'execute', 'interrupt'],
            ownerEpoch: 0,
          },
          await importKey(this.key.privateJwk, 'EdDSA'),
          this.key.publicJwk.kid,
        ),
        expiresAt: new Date(Date.now() + 300_000).toISOString(),
        runtime: this.runtime,
      }),
      compile: async (_nb: string, body: { sid: string; cell: CellInput }) =>
        this.compile(body.cell),
      runtimeCredentials: async (_id: string, have: number) => {
        this.fetched.push(have);
        if (have >= this.version) return { version: this.version, bundle: null };
        const bundle = await sealCredentialBundle(
          {
            iss: ISSUER,
            aud: this.identity.runtimeId,
            jti: crypto.randomUUID(),
            iat: Math.floor(Date.now() / 1000),
            version: this.version,
            connections: [],
            secrets: [
              {
                id: 'sec_api',
                name: 'API_KEY',
                workspaceId: 'ws_1',
                version: this.version,
                ref: { storeType: 'spin_store' },
                value: this.value,
              },
            ],
          },
          await this.sealOpts(),
        );
        this.bundles.push(bundle);
        return { version: this.version, bundle };
      },
      pendingReceipts: async () => ({ pending: [] }),
      submitReceipt: async () => ({ auditSeq: 1, status: 'ok' }),
    };
    return api as unknown as ServerApi;
  }

  private async compile(cell: CellInput): Promise<CompileResponse> {
    const now = Math.floor(Date.now() / 1000);
    const limits = { timeoutMs: 60_000, outputBytes: 1_000_000 };
    const claims = {
      iss: ISSUER,
      aud: this.identity.runtimeId,
      sub: USER,
      sid: SID,
      cell: cell.id,
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 60,
      notebook: 'nb_relay',
      program: compileCell(cell, { limits }),
      limits,
      workspace: 'ws_1',
      credentials: {
        bundleVersion: this.version,
        connection: null,
        secrets: { API_KEY: 'sec_api' },
      },
    };
    return {
      envelope: await sealProgram(claims, await this.sealOpts()),
      jti: claims.jti,
      cell: cell.id,
      runtimeId: this.runtime.id,
      expiresAt: new Date((now + 60) * 1000).toISOString(),
      ...(this.reportVersion ? { credentialsVersion: this.version } : {}),
    };
  }
}

class Logs extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
}

const cell: CellInput = {
  id: 'uses_key',
  type: 'shell',
  source: 'printf %s "{{secret:API_KEY}}" | wc -c; echo "key: {{secret:API_KEY}}"',
};

describe('the client relays the credential bundle a program needs (DESIGN.md §1)', () => {
  let home: string;
  let rt: RuntimeHandle;
  let cp: ControlPlane;
  let session: NotebookSession;
  const logs = new Logs();

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'spin-relay-'));
    rt = await startRuntime({ port: 0, home, banner: false, logger: logs, logLevel: 'debug' });
    const key = await generateSigningKey();
    const paired = await fetch(`${rt.url}/v1/pair`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${rt.spinToken}` },
      body: JSON.stringify({
        server: { issuer: ISSUER, jwks: { keys: [key.publicJwk] } },
        allowedOrigins: ['http://ui.test'],
      }),
    });
    expect(paired.status).toBe(200);
    const runtime: Runtime = {
      id: rt.identity.runtimeId,
      workspaceId: 'ws_1',
      name: 'relay',
      url: rt.url,
      fingerprint: rt.identity.fingerprint,
      pairedAt: new Date().toISOString(),
    };
    cp = new ControlPlane(key, rt.identity, runtime);
    session = await NotebookSession.open({
      api: cp.api(),
      notebookId: 'nb_relay',
      runtime,
      WebSocket: NodeWebSocket,
    });
  });
  afterAll(async () => {
    session?.close();
    await rt?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('fetches and relays the bundle before the first program that needs it', async () => {
    const run = await session.run(cell);
    expect(run.status).toBe('ok');
    expect(run.outputs).toEqual([
      {
        output_type: 'stream',
        name: 'stdout',
        text: `${cp.value.length}\nkey: [secret:API_KEY]\n`,
      },
    ]);
    expect(cp.fetched).toEqual([0]); // the runtime's welcome said it held none
    // relayed, not read: the bundle is a JWE whose parts hold no spelling of the value
    expect(cp.bundles[0]!.split('.')).toHaveLength(5);
    expect(cp.bundles[0]).not.toContain(Buffer.from(cp.value).toString('base64url'));
    expect(logs.text).toContain('"credentialsVersion":1');
  });

  it('does not fetch again while the runtime holds the version programs need', async () => {
    expect((await session.run(cell)).status).toBe('ok');
    expect(cp.fetched).toEqual([0]);
  });

  it('relays a newer bundle when compile reports one, and the run uses its value', async () => {
    cp.version = 2;
    cp.value = 'api-key-v2-' + 'b'.repeat(30);
    const run = await session.run(cell);
    expect(run.outputs[0]).toMatchObject({ text: `${cp.value.length}\nkey: [secret:API_KEY]\n` });
    expect(cp.fetched).toEqual([0, 1]);
  });

  it('fetches nothing when the compile answer names no credentials version', async () => {
    cp.reportVersion = false;
    expect((await session.run(cell)).status).toBe('ok');
    expect(cp.fetched).toEqual([0, 1]);
  });
});
