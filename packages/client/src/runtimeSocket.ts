import {
  RUNTIME_SUBPROTOCOL,
  RuntimeMessageSchema,
  type ClientMessage,
  type JournalEvent,
  type RuntimeMessage,
} from '@spin/protocol';
import { ApiError } from './errors.js';
import { Emitter, type Disposable } from './events.js';

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

interface Pending {
  resolve: (v: { jti: string; cell: string }) => void;
  reject: (e: ApiError) => void;
}

/**
 * One client's WebSocket to a runtime session (subprotocol `spin.runtime.v1`): authenticates
 * with `hello`, attaches from `lastSeq`, relays sealed programs, and delivers journal events in
 * seq order exactly once — across reconnects, it resumes from the last seq it saw.
 */
export class RuntimeSocket {
  private ws: WebSocketLike | null = null;
  private readonly Ctor: WebSocketCtor;
  private readonly pending = new Map<string, Pending>();
  private nextRequest = 1;
  private closedByUser = false;
  private backoffMs = 250;
  private connectPromise: Promise<void> | null = null;
  private _state: SocketState = 'closed';
  private _lastSeq: number;

  private readonly onDidEventEmitter = new Emitter<JournalEvent>();
  private readonly onDidChangeStateEmitter = new Emitter<SocketState>();
  private readonly onDidErrorEmitter = new Emitter<ApiError>();
  private readonly onDidAttachEmitter = new Emitter<{ fromSeq: number; headSeq: number }>();
  /** Journal events, in seq order, each once. */
  readonly onDidEvent = this.onDidEventEmitter.event;
  readonly onDidChangeState = this.onDidChangeStateEmitter.event;
  /** Errors not tied to a request (auth failures, protocol errors). */
  readonly onDidError = this.onDidErrorEmitter.event;
  /** Fired when a (re)attach finished replaying; live events follow. */
  readonly onDidAttach = this.onDidAttachEmitter.event;

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

  /** Connect, authenticate and attach; resolves once the replay is complete. */
  connect(): Promise<void> {
    this.closedByUser = false;
    this.connectPromise ??= this.open().finally(() => {
      this.connectPromise = null;
    });
    return this.connectPromise;
  }

  /**
   * Relay a sealed program; resolves when the runtime accepted it. When the access token
   * expired on a long-lived connection, the runtime refuses before opening the program (its
   * jti stays unused), so this reconnects with a fresh token and relays it once more.
   */
  async execute(envelope: string): Promise<{ jti: string; cell: string }> {
    try {
      return await this.executeOnce(envelope);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'auth.token_expired') throw err;
      this.ws?.close(1000, 'token expired');
      this.ws = null;
      await this.connect();
      return this.executeOnce(envelope);
    }
  }

  private async executeOnce(envelope: string): Promise<{ jti: string; cell: string }> {
    if (this._state !== 'open') await this.connect();
    const requestId = `r${this.nextRequest++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.send({ type: 'execute', requestId, envelope });
    });
  }

  /** Ask the runtime to interrupt the running execution of this session. */
  interrupt(): void {
    this.send({ type: 'interrupt', requestId: `r${this.nextRequest++}` });
  }

  close(): void {
    this.closedByUser = true;
    this.setState('closed');
    this.ws?.close(1000, 'client closed');
    this.ws = null;
    this.failPending(new ApiError('client.closed', 'connection closed'));
  }

  dispose(): void {
    this.close();
    this.onDidEventEmitter.clear();
    this.onDidChangeStateEmitter.clear();
    this.onDidErrorEmitter.clear();
    this.onDidAttachEmitter.clear();
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
  }

  private async open(): Promise<void> {
    this.setState(this._state === 'closed' ? 'connecting' : 'reconnecting');
    const token = await this.opts.getToken();
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
        if (this.ws !== ws) return;
        this.ws = null;
        this.failPending(new ApiError('client.disconnected', 'runtime connection dropped'));
        settle(
          new ApiError(
            'client.disconnected',
            `runtime closed the connection (${ev.code} ${ev.reason})`,
          ),
        );
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
        this.handle(msg, settle);
      };
    });
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 5000);
    setTimeout(() => {
      // someone (execute after an expired token) may have reconnected meanwhile
      if (this.closedByUser || this._state === 'open' || this.connectPromise) return;
      this.connect().catch(() => {
        /* onclose schedules the next attempt */
      });
    }, delay);
  }

  private handle(msg: RuntimeMessage, settle: (err?: ApiError) => void): void {
    switch (msg.type) {
      case 'welcome':
        this.send({ type: 'attach', lastSeq: this._lastSeq });
        return;
      case 'attached':
        this.backoffMs = 250;
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
      case 'error': {
        const err = new ApiError(msg.code, msg.message);
        const p = msg.requestId ? this.pending.get(msg.requestId) : undefined;
        if (p && msg.requestId) {
          this.pending.delete(msg.requestId);
          p.reject(err);
        } else {
          this.onDidErrorEmitter.fire(err);
          settle(err);
        }
        return;
      }
      case 'interrupted':
      case 'pong':
        return;
    }
  }
}

export type { Disposable };
