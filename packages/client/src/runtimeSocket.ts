import {
  RUNTIME_SUBPROTOCOL,
  RuntimeMessageSchema,
  type ClientMessage,
  type JournalEvent,
  type RuntimeMessage,
} from '@spin/protocol';
import { ApiError } from './errors.js';
import { Emitter, type Disposable } from './events.js';
import {
  BACKOFF_FIRST_MS,
  BACKOFF_MAX_MS,
  EXECUTE_ATTEMPTS,
  RETRY_EXECUTE_ON,
  isTransientTokenError,
  refreshDelayMs,
  tokenLifetimeMs,
} from './tokenPolicy.js';

/** Who owns a shared session (a user id; null between a handoff and the new owner's arrival). */
export interface SessionOwnerInfo {
  owner: string | null;
  ownerEpoch: number;
}

/** The subset of the WHATWG WebSocket API the client uses (browser WebSocket or `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface RuntimeSocketOptions {
  /** Runtime base URL (http[s]://host:port); the socket goes to `/v1/ws`. */
  runtimeUrl: string;
  /** Returns a fresh access token for this session (minted by the server). */
  getToken: () => Promise<string>;
  WebSocket?: WebSocketCtor;
  /** Resume after this seq (0 = replay the whole journal). */
  lastSeq?: number;
  /** Reconnect automatically after a dropped connection (default true). */
  reconnect?: boolean;
}

interface ReplyWaiter {
  resolve: () => void;
  reject: (e: ApiError) => void;
}

interface Pending {
  resolve: (v: { jti: string; cell: string }) => void;
  reject: (e: ApiError) => void;
}

/**
 * One client's WebSocket to a runtime session (subprotocol `spin.runtime.v1`): authenticates
 * with `hello`, attaches from `lastSeq`, relays sealed programs, and delivers journal events in
 * seq order exactly once — across reconnects, it resumes from the last seq it saw.
 *
 * The runtime stops delivering at the access token's `exp`, so the socket fetches a new token
 * ahead of time ({@link refreshDelayMs}) and hands it over with `refresh`. Token fetches that
 * fail transiently are retried with backoff until they succeed; when the server refuses (the
 * user was removed, logged out, lost access) the socket stops for good: state `closed`,
 * {@link closeReason} set, `onDidError` fired.
 */
export class RuntimeSocket {
  private ws: WebSocketLike | null = null;
  private readonly Ctor: WebSocketCtor;
  private readonly pending = new Map<string, Pending>();
  private nextRequest = 1;
  private closedByUser = false;
  private backoffMs = BACKOFF_FIRST_MS;
  private connectPromise: Promise<void> | null = null;
  private _state: SocketState = 'closed';
  private _lastSeq: number;
  private _closeReason: ApiError | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly replyWaiters = new Map<string, ReplyWaiter>();
  /** `restart` requests waiting for `restarted` (or their `error`). */
  private readonly restartWaiters = new Map<string, ReplyWaiter>();
  /** `credentials` messages waiting for their `credentials_ack` (or `error`). */
  private readonly credentialWaiters = new Map<
    string,
    { resolve: (version: number | null) => void; reject: (e: ApiError) => void }
  >();
  private _credentialsVersion = 0;
  /** `kernel_request`s waiting for their `kernel_reply` (or `error`). */
  private readonly kernelWaiters = new Map<
    string,
    { resolve: (c: Record<string, unknown>) => void; reject: (e: ApiError) => void }
  >();

  private readonly onDidEventEmitter = new Emitter<JournalEvent>();
  private readonly onDidChangeStateEmitter = new Emitter<SocketState>();
  private readonly onDidErrorEmitter = new Emitter<ApiError>();
  private readonly onDidAttachEmitter = new Emitter<{ fromSeq: number; headSeq: number }>();
  private readonly onDidChangeOwnerEmitter = new Emitter<SessionOwnerInfo>();
  private _owner: SessionOwnerInfo | null = null;
  private readonly onDidKernelStatusEmitter = new Emitter<KernelStatusMessage>();
  private readonly onDidInputRequestEmitter = new Emitter<InputRequestMessage>();
  /** Journal events, in seq order, each once. */
  readonly onDidEvent = this.onDidEventEmitter.event;
  readonly onDidChangeState = this.onDidChangeStateEmitter.event;
  /** Errors not tied to a request (auth failures, protocol errors). */
  readonly onDidError = this.onDidErrorEmitter.event;
  /** Fired when a (re)attach finished replaying; live events follow. */
  readonly onDidAttach = this.onDidAttachEmitter.event;
  /** The session's owner as the runtime announced it (on welcome, and after a handoff). */
  readonly onDidChangeOwner = this.onDidChangeOwnerEmitter.event;

  /** The session's owner as last announced by the runtime, or null before the first welcome. */
  get owner(): SessionOwnerInfo | null {
    return this._owner;
  }

  /** Version of the credential bundle the runtime holds (from its welcome and acks; 0: none). */
  get credentialsVersion(): number {
    return this._credentialsVersion;
  }
  /** The session's kernel changed state (`dead` says why and that `restart()` helps). */
  readonly onDidKernelStatus = this.onDidKernelStatusEmitter.event;
  /** The kernel asks this user for input (`input()`, `getpass()`); answer with inputReply. */
  readonly onDidInputRequest = this.onDidInputRequestEmitter.event;

  constructor(private readonly opts: RuntimeSocketOptions) {
    const ctor = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!ctor) throw new ApiError('client.no_websocket', 'no WebSocket implementation available');
    this.Ctor = ctor;
    this._lastSeq = opts.lastSeq ?? 0;
  }

  get state(): SocketState {
    return this._state;
  }
  get lastSeq(): number {
    return this._lastSeq;
  }
  /** Why the socket stopped on its own (the server refused a token), or null. */
  get closeReason(): ApiError | null {
    return this._closeReason;
  }

  /** Connect, authenticate and attach; resolves once the replay is complete. */
  connect(): Promise<void> {
    this.closedByUser = false;
    this._closeReason = null;
    this.connectPromise ??= this.open().finally(() => {
      this.connectPromise = null;
    });
    return this.connectPromise;
  }

  /**
   * Relay a sealed program; resolves when the runtime accepted it. When the connection drops
   * before the answer, or the token expired, this reconnects (fetching a fresh token) and
   * relays it again: the runtime never runs a program twice (its jti is spent once accepted),
   * so `envelope.replayed` on a repeat means the first relay got through — then this resolves
   * with `sent` (the program's own jti and cell) if given, and rejects with
   * `client.disconnected` (its events arrive through onDidEvent) if not.
   */
  async execute(
    envelope: string,
    sent?: { jti: string; cell: string },
  ): Promise<{ jti: string; cell: string }> {
    let delay = BACKOFF_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.executeOnce(envelope);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (attempt > 1 && err.code === 'envelope.replayed') {
          if (sent) return sent;
          throw new ApiError('client.disconnected', 'the program was accepted before a reconnect');
        }
        if (
          !RETRY_EXECUTE_ON.has(err.code) ||
          attempt >= EXECUTE_ATTEMPTS ||
          this.closedByUser ||
          this._closeReason
        ) {
          throw err;
        }
        if (err.code === 'auth.token_expired') this.dropSocket();
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, BACKOFF_MAX_MS);
      }
    }
  }

  private async executeOnce(envelope: string): Promise<{ jti: string; cell: string }> {
    if (this._state !== 'open' || !this.ws) await this.connect();
    const requestId = `r${this.nextRequest++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      try {
        this.send({ type: 'execute', requestId, envelope });
      } catch (err) {
        this.pending.delete(requestId);
        reject(err);
      }
    });
  }

  /**
   * Ask the runtime to interrupt the running execution of this session. Resolves when the
   * runtime confirms; rejects with its error (e.g. `runtime.not_owner` after a handoff).
   */
  interrupt(): Promise<void> {
    const requestId = `r${this.nextRequest++}`;
    return new Promise<void>((resolve, reject) => {
      this.replyWaiters.set(requestId, { resolve, reject });
      try {
        this.send({ type: 'interrupt', requestId });
      } catch (err) {
        this.replyWaiters.delete(requestId);
        reject(err as Error);
      }
    });
  }

  /** Restart the session's kernel (state is lost); resolves once the new kernel is ready. */
  restart(): Promise<void> {
    const requestId = `k${this.nextRequest++}`;
    return new Promise<void>((resolve, reject) => {
      this.restartWaiters.set(requestId, { resolve, reject });
      try {
        this.send({ type: 'restart', requestId });
      } catch (err) {
        this.restartWaiters.delete(requestId);
        reject(err);
      }
    });
  }

  /**
   * Ask the session's kernel (Jupyter complete/inspect/is_complete) and resolve with the
   * reply content as the kernel sent it.
   */
  kernelRequest(
    request: 'complete' | 'inspect' | 'is_complete',
    code: string,
    cursorPos?: number,
    detailLevel?: 0 | 1,
  ): Promise<Record<string, unknown>> {
    const requestId = `q${this.nextRequest++}`;
    return new Promise((resolve, reject) => {
      this.kernelWaiters.set(requestId, { resolve, reject });
      try {
        this.send({
          type: 'kernel_request',
          requestId,
          request,
          code,
          ...(cursorPos !== undefined ? { cursorPos } : {}),
          ...(detailLevel !== undefined ? { detailLevel } : {}),
        });
      } catch (err) {
        this.kernelWaiters.delete(requestId);
        reject(err);
      }
    });
  }

  /**
   * Hand the runtime a sealed credential bundle (relayed, never read: it is encrypted to the
   * runtime and signed by the server). Resolves with the version the runtime stored, or null
   * when it already holds that version or a newer one (`credentials.stale_bundle`); rejects
   * with the runtime's error otherwise.
   */
  async relayCredentials(bundle: string): Promise<number | null> {
    if (this._state !== 'open' || !this.ws) await this.connect();
    const requestId = `c${this.nextRequest++}`;
    return new Promise((resolve, reject) => {
      this.credentialWaiters.set(requestId, { resolve, reject });
      try {
        this.send({ type: 'credentials', requestId, bundle });
      } catch (err) {
        this.credentialWaiters.delete(requestId);
        reject(err as Error);
      }
    });
  }

  /** Answer the kernel's input request of run `jti`. */
  inputReply(jti: string, value: string): void {
    this.send({ type: 'input_reply', requestId: `i${this.nextRequest++}`, jti, value });
  }

  close(): void {
    this.closedByUser = true;
    this.setState('closed');
    this.failPending(new ApiError('client.closed', 'connection closed'));
    this.dropSocket();
  }

  /**
   * Close the current WebSocket without reconnecting from its close event; what was waiting
   * for its answers fails with `client.disconnected` (and is relayed again by its caller).
   */
  private dropSocket(): void {
    clearTimeout(this.refreshTimer);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'client closed');
    this.failPending(new ApiError('client.disconnected', 'runtime connection dropped'));
  }

  /** The server refused a token: stop for good and say why. */
  private stop(reason: ApiError): void {
    this._closeReason = reason;
    this.failPending(reason);
    this.dropSocket();
    this.setState('closed');
    this.onDidErrorEmitter.fire(reason);
  }

  /** A fresh access token, retrying transient failures with backoff until one arrives. */
  private async fetchToken(): Promise<string> {
    let delay = BACKOFF_FIRST_MS;
    for (;;) {
      if (this.closedByUser) throw new ApiError('client.closed', 'connection closed');
      try {
        return await this.opts.getToken();
      } catch (err) {
        if (!isTransientTokenError(err)) {
          const refused =
            err instanceof ApiError
              ? err
              : new ApiError('client.error', 'the access token request failed');
          this.stop(refused);
          throw refused;
        }
      }
      // jitter, so many clients behind one restarting server do not retry in lockstep
      await new Promise((r) => setTimeout(r, delay * (0.75 + Math.random() / 2)));
      delay = Math.min(delay * 2, BACKOFF_MAX_MS);
    }
  }

  /**
   * Fetch a new access token now and hand it to the runtime over the open socket (no-op when
   * not connected). After a handoff at the server this is how the runtime learns the new owner
   * epoch at once, instead of at the next scheduled refresh.
   */
  async refreshToken(): Promise<void> {
    const ws = this.ws;
    if (ws && ws.readyState === 1) await this.refresh(ws);
  }

  /** Refresh `token`'s successor over the open socket before the runtime stops delivering. */
  private scheduleRefresh(token: string, fetchedAt: number, ws: WebSocketLike): void {
    clearTimeout(this.refreshTimer);
    const lifetime = tokenLifetimeMs(token);
    if (lifetime === null) return; // opaque token: the runtime's close at exp reconnects us
    const due = fetchedAt + refreshDelayMs(lifetime) - Date.now();
    this.refreshTimer = setTimeout(() => void this.refresh(ws), Math.max(0, due));
  }

  private async refresh(ws: WebSocketLike): Promise<void> {
    let token: string;
    try {
      token = await this.fetchToken();
    } catch {
      return; // refused (stop() reported it) or closed
    }
    const fetchedAt = Date.now();
    if (this.ws !== ws || ws.readyState !== 1) return; // reconnected meanwhile, with its own
    const requestId = `f${this.nextRequest++}`;
    try {
      await new Promise<void>((resolve, reject) => {
        this.replyWaiters.set(requestId, { resolve, reject });
        ws.send(JSON.stringify({ type: 'refresh', requestId, token } satisfies ClientMessage));
      });
    } catch {
      // refused or too late: the runtime ends the socket at exp and we reconnect then
      return;
    }
    if (this.ws === ws) this.scheduleRefresh(token, fetchedAt, ws);
  }

  dispose(): void {
    this.close();
    this.onDidEventEmitter.clear();
    this.onDidChangeStateEmitter.clear();
    this.onDidErrorEmitter.clear();
    this.onDidAttachEmitter.clear();
    this.onDidKernelStatusEmitter.clear();
    this.onDidInputRequestEmitter.clear();
  }

  private send(msg: ClientMessage): void {
    if (!this.ws || this.ws.readyState !== 1) {
      throw new ApiError('client.not_connected', 'not connected to the runtime');
    }
    this.ws.send(JSON.stringify(msg));
  }

  private setState(s: SocketState): void {
    if (this._state === s) return;
    this._state = s;
    this.onDidChangeStateEmitter.fire(s);
  }

  private failPending(err: ApiError): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const w of this.replyWaiters.values()) w.reject(err);
    this.replyWaiters.clear();
    for (const w of this.restartWaiters.values()) w.reject(err);
    this.restartWaiters.clear();
    for (const w of this.kernelWaiters.values()) w.reject(err);
    this.kernelWaiters.clear();
    for (const w of this.credentialWaiters.values()) w.reject(err);
    this.credentialWaiters.clear();
  }

  private async open(): Promise<void> {
    this.setState(this._state === 'closed' ? 'connecting' : 'reconnecting');
    const token = await this.fetchToken();
    const fetchedAt = Date.now();
    const url = this.opts.runtimeUrl.replace(/^http/, 'ws').replace(/\/+$/, '') + '/v1/ws';
    const ws = new this.Ctor(url, [RUNTIME_SUBPROTOCOL]);
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: ApiError) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      ws.onopen = () => {
        ws.send(JSON.stringify({ type: 'hello', token } satisfies ClientMessage));
      };
      ws.onerror = () =>
        settle(new ApiError('client.network_error', `cannot connect to runtime at ${url}`));
      ws.onclose = (ev) => {
        const dropped = new ApiError(
          'client.disconnected',
          `runtime closed the connection (${ev.code} ${ev.reason})`,
        );
        if (this.ws !== ws) {
          settle(dropped); // dropped on purpose (close, stop) while connecting: end connect()
          return;
        }
        this.ws = null;
        clearTimeout(this.refreshTimer);
        this.failPending(new ApiError('client.disconnected', 'runtime connection dropped'));
        settle(dropped);
        // 44xx: the runtime refused us (auth/protocol) — reconnecting would not help.
        if (
          !this.closedByUser &&
          this.opts.reconnect !== false &&
          (ev.code < 4400 || ev.code >= 4500)
        ) {
          this.scheduleReconnect();
        } else {
          this.setState('closed');
        }
      };
      ws.onmessage = (ev) => {
        const text =
          typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer);
        let msg: RuntimeMessage;
        try {
          msg = RuntimeMessageSchema.parse(JSON.parse(text));
        } catch {
          this.onDidErrorEmitter.fire(
            new ApiError('client.bad_message', 'runtime sent an invalid message'),
          );
          return;
        }
        this.handle(msg, settle, () => this.scheduleRefresh(token, fetchedAt, ws));
      };
    });
  }

  private setOwner(next: SessionOwnerInfo): void {
    const prev = this._owner;
    this._owner = next;
    if (prev?.owner !== next.owner || prev?.ownerEpoch !== next.ownerEpoch) {
      this.onDidChangeOwnerEmitter.fire(next);
    }
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 5000);
    setTimeout(() => {
      // someone (execute after an expired token) may have reconnected meanwhile
      if (this.closedByUser || this._closeReason) return;
      if (this._state === 'open' || this.connectPromise) return;
      this.connect().catch(() => {
        /* onclose schedules the next attempt */
      });
    }, delay);
  }

  private handle(
    msg: RuntimeMessage,
    settle: (err?: ApiError) => void,
    onWelcome: () => void,
  ): void {
    switch (msg.type) {
      case 'welcome':
        if (msg.ownerEpoch !== undefined) {
          this.setOwner({ owner: msg.owner ?? null, ownerEpoch: msg.ownerEpoch });
        }
        this._credentialsVersion = msg.credentialsVersion ?? 0;
        onWelcome();
        this.send({ type: 'attach', lastSeq: this._lastSeq });
        return;
      case 'attached':
        this.backoffMs = BACKOFF_FIRST_MS;
        this.setState('open');
        this.onDidAttachEmitter.fire({ fromSeq: msg.fromSeq, headSeq: msg.headSeq });
        settle();
        return;
      case 'event':
        if (msg.event.seq <= this._lastSeq) return; // already delivered before a reconnect
        this._lastSeq = msg.event.seq;
        this.onDidEventEmitter.fire(msg.event);
        return;
      case 'accepted': {
        const p = this.pending.get(msg.requestId);
        this.pending.delete(msg.requestId);
        p?.resolve({ jti: msg.jti, cell: msg.cell });
        return;
      }
      case 'refreshed': {
        const w = msg.requestId ? this.replyWaiters.get(msg.requestId) : undefined;
        if (msg.requestId) this.replyWaiters.delete(msg.requestId);
        w?.resolve();
        return;
      }
      case 'error': {
        const err = new ApiError(msg.code, msg.message);
        const p = msg.requestId ? this.pending.get(msg.requestId) : undefined;
        const w = msg.requestId ? this.replyWaiters.get(msg.requestId) : undefined;
        const k = msg.requestId ? this.restartWaiters.get(msg.requestId) : undefined;
        const q = msg.requestId ? this.kernelWaiters.get(msg.requestId) : undefined;
        const c = msg.requestId ? this.credentialWaiters.get(msg.requestId) : undefined;
        if (c && msg.requestId) {
          this.credentialWaiters.delete(msg.requestId);
          if (err.code === 'credentials.stale_bundle') c.resolve(null);
          else c.reject(err);
        } else if (q && msg.requestId) {
          this.kernelWaiters.delete(msg.requestId);
          q.reject(err);
        } else if (k && msg.requestId) {
          this.restartWaiters.delete(msg.requestId);
          k.reject(err);
        } else if (p && msg.requestId) {
          this.pending.delete(msg.requestId);
          p.reject(err);
        } else if (w && msg.requestId) {
          this.replyWaiters.delete(msg.requestId);
          w.reject(err);
        } else if (err.code === 'auth.token_expired' && this._state === 'open') {
          // the runtime ends the socket at exp (close 4001 follows); we reconnect then
        } else {
          this.onDidErrorEmitter.fire(err);
          settle(err);
        }
        return;
      }
      case 'session_owner':
        this.setOwner({ owner: msg.owner, ownerEpoch: msg.ownerEpoch });
        return;
      case 'interrupted': {
        const w = this.replyWaiters.get(msg.requestId);
        this.replyWaiters.delete(msg.requestId);
        w?.resolve();
        return;
      }
      case 'restarted': {
        const k = this.restartWaiters.get(msg.requestId);
        this.restartWaiters.delete(msg.requestId);
        k?.resolve();
        return;
      }
      case 'kernel_status':
        this.onDidKernelStatusEmitter.fire(msg);
        return;
      case 'kernel_reply': {
        const q = this.kernelWaiters.get(msg.requestId);
        this.kernelWaiters.delete(msg.requestId);
        q?.resolve(msg.content);
        return;
      }
      case 'input_request':
        this.onDidInputRequestEmitter.fire(msg);
        return;
      case 'credentials_ack': {
        this._credentialsVersion = Math.max(this._credentialsVersion, msg.version);
        const c = this.credentialWaiters.get(msg.requestId);
        this.credentialWaiters.delete(msg.requestId);
        c?.resolve(msg.version);
        return;
      }
      case 'pong':
        return;
    }
  }
}

export type { Disposable };

/** A `kernel_status` message: the session kernel's state, and why it died. */
export type KernelStatusMessage = Extract<RuntimeMessage, { type: 'kernel_status' }>;
/** An `input_request` message: the kernel waits for a line from this user. */
export type InputRequestMessage = Extract<RuntimeMessage, { type: 'input_request' }>;
