import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { SignJWT, type JWK } from 'jose';
import {
  ACCESS_TOKEN_TYP,
  RUNTIME_SUBPROTOCOL,
  compileCell,
  generateSigningKey,
  importKey,
  sealProgram,
  signAccessToken,
  type JournalEvent,
  type KeyPairJwk,
  type CellInput,
  type ProgramClaims,
  type RuntimeIdentity,
  type RuntimeMessage,
  type SessionPermission,
} from '@spin/protocol';
import { startRuntime, type RuntimeHandle, type StartRuntimeOptions } from '../src/index.js';

/** A temp SPIN_HOME, removed by `cleanup()`. */
export function tempHome(base = tmpdir()): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(base, 'spin-rt-'));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Collects everything the runtime logs, to assert secrets never appear. */
export class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
}

export const ISSUER = 'http://server.test';
/** A metrics token for runtimes that serve `/metrics` in tests. */
export const METRICS_TOKEN = 'runtime-metrics-token-0123';
export const ORIGIN = 'http://ui.test';

/** A fake control plane built from protocol functions: signs tokens and seals programs. */
export class FakeServer {
  constructor(
    readonly key: KeyPairJwk,
    public identity: RuntimeIdentity,
  ) {}

  static async create(identity: RuntimeIdentity): Promise<FakeServer> {
    return new FakeServer(await generateSigningKey(), identity);
  }

  async token(
    over: {
      sid?: string;
      sub?: string;
      perms?: SessionPermission[];
      aud?: string;
      ttlS?: number;
      /** Absolute expiry (seconds since epoch), e.g. one in the past. */
      exp?: number;
      ownerEpoch?: number;
      notebook?: string;
    } = {},
  ): Promise<string> {
    const key = await importKey(this.key.privateJwk, 'EdDSA');
    if (over.exp !== undefined) {
      return new SignJWT({
        sid: over.sid ?? 'ses_1',
        notebook: over.notebook ?? 'nb_1',
        role: 'editor',
        perms: over.perms ?? ['view', 'execute', 'interrupt'],
        ownerEpoch: over.ownerEpoch ?? 0,
      })
        .setProtectedHeader({ alg: 'EdDSA', kid: this.key.publicJwk.kid, typ: ACCESS_TOKEN_TYP })
        .setIssuer(ISSUER)
        .setAudience(over.aud ?? this.identity.runtimeId)
        .setSubject(over.sub ?? 'usr_1')
        .setJti(crypto.randomUUID())
        .setIssuedAt(over.exp - 60)
        .setExpirationTime(over.exp)
        .sign(key);
    }
    return signAccessToken(
      {
        iss: ISSUER,
        aud: over.aud ?? this.identity.runtimeId,
        sub: over.sub ?? 'usr_1',
        sid: over.sid ?? 'ses_1',
        notebook: over.notebook ?? 'nb_1',
        role: 'editor',
        perms: over.perms ?? ['view', 'execute', 'interrupt'],
        ownerEpoch: over.ownerEpoch ?? 0,
        ...(over.ttlS !== undefined ? { ttlS: over.ttlS } : {}),
      },
      key,
      this.key.publicJwk.kid,
    );
  }

  claims(program: ProgramClaims['program'], over: Partial<ProgramClaims> = {}): ProgramClaims {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: ISSUER,
      aud: this.identity.runtimeId,
      sub: 'usr_1',
      sid: 'ses_1',
      cell: 'c1',
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 60,
      notebook: 'nb_1',
      program,
      limits: { timeoutMs: 60_000, outputBytes: 1_000_000 },
      ...over,
    };
  }

  async seal(claims: ProgramClaims, signer: KeyPairJwk = this.key, recipient = this.identity) {
    return sealProgram(claims, {
      signingKey: await importKey(signer.privateJwk, 'EdDSA'),
      signingKid: signer.publicJwk.kid,
      recipientKey: await importKey(recipient.keys.encryption as JWK, 'ECDH-ES+A256KW'),
      recipientKid: recipient.keys.encryption.kid,
    });
  }

  python(code: string, over: Partial<ProgramClaims> = {}) {
    return this.seal(this.claims({ kind: 'kernel', kernel: 'python3', code }, over));
  }

  /** Compile a cell the way the server does (the manifest registry) and seal it. */
  cell(cell: CellInput, over: Partial<ProgramClaims> = {}) {
    const claims = this.claims(
      { kind: 'kernel', kernel: 'python3', code: '' },
      { cell: cell.id, ...over },
    );
    return this.seal({ ...claims, program: compileCell(cell, { limits: claims.limits }) });
  }

  shell(script: string, over: Partial<ProgramClaims> = {}) {
    return this.seal(
      this.claims(
        { kind: 'processor', processor: 'shell', connection: null, params: { script, env: {} } },
        over,
      ),
    );
  }
}

/** POST /v1/pair. */
export function pair(url: string, spinToken: string | undefined, body: unknown, origin?: string) {
  return fetch(`${url}/v1/pair`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(spinToken !== undefined ? { authorization: `Bearer ${spinToken}` } : {}),
      ...(origin ? { origin } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A started, paired runtime and its fake server. */
export interface Harness {
  rt: RuntimeHandle;
  server: FakeServer;
  home: string;
  logs: LogCapture;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startPaired(
  opts: StartRuntimeOptions = {},
  homeBase?: string,
): Promise<Harness> {
  const { home, cleanup } = opts.home
    ? { home: opts.home, cleanup: () => undefined }
    : tempHome(homeBase);
  const logs = new LogCapture();
  const start = () =>
    startRuntime({
      port: 0,
      home,
      banner: false,
      logger: logs,
      logLevel: 'debug',
      // no pre-started kernel unless a test asks for one (kernelPool.test.ts): each would cost
      // a kernel per runtime here, and tests count the kernels they start
      kernelPool: [],
      ...opts,
    });
  const h: Harness = {
    rt: await start(),
    server: undefined as unknown as FakeServer,
    home,
    logs,
    async restart() {
      await h.rt.close();
      h.rt = await start();
    },
    async close() {
      await h.rt.close();
      cleanup();
    },
  };
  h.server = await FakeServer.create(h.rt.identity);
  const res = await pair(h.rt.url, h.rt.spinToken, {
    server: { issuer: ISSUER, jwks: { keys: [h.server.key.publicJwk] } },
    allowedOrigins: [ORIGIN],
  });
  if (res.status !== 200) throw new Error(`pairing failed: ${res.status}`);
  return h;
}

/** A test WebSocket client that records every message and lets tests await specific ones. */
export class TestClient {
  readonly messages: RuntimeMessage[] = [];
  closeCode: number | null = null;
  private waiters: {
    pred: (m: RuntimeMessage) => boolean;
    resolve: (m: RuntimeMessage) => void;
  }[] = [];
  private closeWaiters: ((code: number) => void)[] = [];
  private nextId = 1;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as RuntimeMessage;
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => (w.pred(msg) ? (w.resolve(msg), false) : true));
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      for (const w of this.closeWaiters.splice(0)) w(code);
    });
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws`, RUNTIME_SUBPROTOCOL, {
      headers,
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Connect, hello, attach from lastSeq; resolves after `attached`. */
  static async session(url: string, token: string, lastSeq = 0): Promise<TestClient> {
    const c = await TestClient.connect(url);
    c.send({ type: 'hello', token });
    await c.next((m) => m.type === 'welcome' || m.type === 'error');
    c.send({ type: 'attach', lastSeq });
    await c.next((m) => m.type === 'attached');
    return c;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The first message (already received or future) matching `pred`. */
  next<T extends RuntimeMessage>(pred: (m: RuntimeMessage) => boolean, after = 0): Promise<T> {
    const seen = this.messages.slice(after).find(pred);
    if (seen) return Promise.resolve(seen as T);
    return new Promise((resolve) => this.waiters.push({ pred, resolve: resolve as never }));
  }

  closed(): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((r) => this.closeWaiters.push(r));
  }

  /** Send an envelope; resolves with the `accepted` or `error` reply. */
  async execute(envelope: string): Promise<RuntimeMessage> {
    const requestId = `r${this.nextId++}`;
    this.send({ type: 'execute', requestId, envelope });
    return this.next(
      (m) => (m.type === 'accepted' || m.type === 'error') && m.requestId === requestId,
    );
  }

  /** Execute and collect this cell's journal events up to its cell_ended. */
  async run(envelope: string): Promise<JournalEvent[]> {
    const reply = await this.execute(envelope);
    if (reply.type !== 'accepted') throw new Error(`rejected: ${JSON.stringify(reply)}`);
    await this.next(
      (m) => m.type === 'event' && m.event.jti === reply.jti && m.event.type === 'cell_ended',
    );
    return this.events().filter((e) => e.jti === reply.jti);
  }

  events(): JournalEvent[] {
    return this.messages.flatMap((m) => (m.type === 'event' ? [m.event] : []));
  }

  close(): void {
    this.ws.close();
  }
}
