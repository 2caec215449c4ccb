import type { Socket } from 'node:net';
import type { WebSocket, RawData } from 'ws';
import {
  ClientMessageSchema,
  SpinError,
  WS_CLOSE,
  type AccessTokenClaims,
  type ClientMessage,
  type ErrorCode,
  type JournalEvent,
  type RuntimeMessage,
} from '@spin/protocol';
import { openProgram } from '@spin/protocol/node';
import { normaliseError } from '../errors.js';
import type { RuntimeContext } from '../runtimeContext.js';
import { verifySessionToken } from '../security/accessTokens.js';
import type { Session, SessionSubscriber } from '../sessions/session.js';

/** Largest client message the runtime reads (larger ones get `request.too_large`). */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** A client this far behind is disconnected; it resumes with `attach {lastSeq}`. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * One client's WebSocket (`/v1/ws`, subprotocol `spin.runtime.v1`): hello → welcome →
 * attach/execute/interrupt/ping (messages in protocol `runtimeWs.ts`). Messages are handled
 * strictly in arrival order so programs queue in the order the client sent them.
 */
export class WsConnection implements SessionSubscriber {
  private claims: AccessTokenClaims | null = null;
  private session: Session | null = null;
  private chain: Promise<void> = Promise.resolve();
  private corked = false;
  private readonly helloTimer: NodeJS.Timeout;
  private expiryTimer: NodeJS.Timeout | undefined;
  private expired = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: RuntimeContext,
  ) {
    ctx.metrics.wsConnections.inc();
    this.helloTimer = setTimeout(() => {
      this.fail('auth.token_missing', 'no hello within 10 s', WS_CLOSE.helloTimeout);
    }, ctx.helloTimeoutMs);
    ws.on('message', (data, isBinary) => {
      this.chain = this.chain.then(() => this.onMessage(data, isBinary));
    });
    ws.on('close', () => {
      clearTimeout(this.helloTimer);
      clearTimeout(this.expiryTimer);
      this.session?.detach(this);
      ctx.metrics.wsConnections.dec();
    });
    ws.on('error', () => undefined);
  }

  private send(msg: RuntimeMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.batch();
    this.ws.send(JSON.stringify(msg));
  }

  /** Session notices (kernel status, input requests) while the token is live. */
  notify(msg: RuntimeMessage): void {
    if (this.expired || !this.tokenLive()) return;
    this.send(msg);
  }

  /** The token's user, and whether it may run cells (and so answer their input requests). */
  principal(): { sub: string; canExecute: boolean } | null {
    if (!this.claims || this.expired) return null;
    return { sub: this.claims.sub, canExecute: this.claims.perms.includes('execute') };
  }

  /** What this socket has queued but not yet written (replays from disk pace themselves by it). */
  backlog(): number {
    return this.ws.bufferedAmount;
  }

  /**
   * Live journal event for this socket's session (`frame`: already serialised) — never past the
   * token's `exp`: a viewer removed from the workspace gets no new token, so it stops watching
   * when the old one ends.
   */
  deliver(event: JournalEvent, frame?: string): void {
    if (this.expired || this.ws.readyState !== this.ws.OPEN) return;
    if (!this.tokenLive()) {
      this.expire(); // the timer may run late under load; the clock decides
      return;
    }
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.close(1013, 'client too slow; reattach with lastSeq');
      return;
    }
    this.batch();
    this.ws.send(frame ?? JSON.stringify({ type: 'event', event }));
  }

  /**
   * Messages of one burst leave in one TCP write (FACTS.md: batch small frames): the socket is
   * corked until the event loop turns, so a single message waits microseconds, not a timer. A
   * run's `accepted` and `cell_started` go together, as do the kernel's `idle` status and
   * `cell_ended`: each write wakes the client, and on a busy machine every wake-up costs.
   */
  private batch(): void {
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (this.corked || !socket) return;
    this.corked = true;
    socket.cork();
    setImmediate(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  private error(code: string, message: string, requestId?: string): void {
    this.send({ type: 'error', code, message, ...(requestId ? { requestId } : {}) });
  }

  private fail(code: string, message: string, closeCode: number): void {
    this.error(code, message);
    this.ws.close(closeCode, code);
  }

  private async onMessage(data: RawData, isBinary: boolean): Promise<void> {
    try {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (buf.length > MAX_MESSAGE_BYTES) {
        throw new SpinError(
          'request.too_large',
          `messages are limited to ${MAX_MESSAGE_BYTES} bytes`,
        );
      }
      if (isBinary) throw new SpinError('request.invalid', 'binary messages are not supported');
      let json: unknown;
      try {
        json = JSON.parse(buf.toString('utf8'));
      } catch {
        throw new SpinError('request.malformed_json', 'message is not valid JSON');
      }
      const parsed = ClientMessageSchema.safeParse(json);
      if (!this.claims) {
        if (!parsed.success || parsed.data.type !== 'hello') {
          this.fail(
            'auth.token_missing',
            'the first message must be hello',
            WS_CLOSE.unauthenticated,
          );
          return;
        }
        await this.hello(parsed.data.token);
        return;
      }
      if (!parsed.success) {
        const type = (json as { type?: unknown } | null)?.type;
        throw new SpinError(
          'request.invalid',
          `invalid message${typeof type === 'string' ? ` of type "${type.slice(0, 32)}"` : ''}`,
        );
      }
      await this.handle(parsed.data);
    } catch (err) {
      const e = normaliseError(err);
      if (e.code === 'internal.error') this.ctx.logger.error({ err }, 'ws message failed');
      this.error(e.code, e.message);
    }
  }

  private async hello(token: string): Promise<void> {
    let claims: AccessTokenClaims;
    try {
      claims = await verifySessionToken(token, this.ctx.pairing, this.ctx.keys.runtimeId);
    } catch (err) {
      const e = normaliseError(err);
      this.ctx.metrics.envelopeRejections.inc({ code: e.code });
      this.ctx.logger.warn({ code: e.code }, 'websocket hello refused');
      this.fail(e.code, e.message, WS_CLOSE.unauthenticated);
      return;
    }
    clearTimeout(this.helloTimer);
    if (claims.exp * 1000 <= Date.now()) {
      // jose allows 30 s of clock skew; a socket gets no second of grace (retryable)
      this.fail('auth.token_expired', 'access token has expired', WS_CLOSE.tokenExpired);
      return;
    }
    this.claims = claims;
    this.armExpiry();
    this.session = this.ctx.sessions.get(claims.sid);
    this.session.observeToken(claims);
    const { owner, ownerEpoch } = this.session.owner;
    this.send({
      type: 'welcome',
      runtimeId: this.ctx.keys.runtimeId,
      sid: claims.sid,
      sub: claims.sub,
      perms: claims.perms,
      headSeq: this.session.headSeq,
      exp: claims.exp,
      credentialsVersion: this.ctx.credentials.version,
      owner,
      ownerEpoch,
    });
  }

  /**
   * Tokens are checked strictly (no clock tolerance) at hello, before every message and before
   * every delivered event, and a timer ends the socket at `exp`: a socket never outlives its
   * token unless the client sent `refresh` with a new one. The client reconnects with a fresh
   * token on WS_CLOSE.tokenExpired and resumes from its lastSeq.
   */
  private tokenLive(): boolean {
    return this.claims !== null && this.claims.exp * 1000 > Date.now();
  }

  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    const ms = Math.max(0, this.claims!.exp * 1000 - Date.now());
    this.expiryTimer = setTimeout(() => this.expire(), ms);
  }

  private expire(requestId?: string): void {
    if (this.expired) return;
    this.expired = true;
    clearTimeout(this.expiryTimer);
    this.session?.detach(this);
    this.error(
      'auth.token_expired',
      'access token has expired; refresh it or reconnect with a new one',
      requestId,
    );
    this.ws.close(WS_CLOSE.tokenExpired, 'auth.token_expired');
  }

  /**
   * Replace the socket's token (`refresh`): it must verify like a hello token, be live, name
   * the same session and user, and not come from an older owner epoch (a handoff never goes
   * back). On refusal the socket keeps its current token until that one expires.
   */
  private async refresh(token: string, requestId: string | undefined): Promise<void> {
    const current = this.claims!;
    const refuse = (code: ErrorCode, message: string) => {
      this.ctx.metrics.envelopeRejections.inc({ code });
      this.ctx.logger.warn({ code, sid: current.sid }, 'token refresh refused');
      this.error(code, message, requestId);
    };
    let next: AccessTokenClaims;
    try {
      next = await verifySessionToken(token, this.ctx.pairing, this.ctx.keys.runtimeId);
    } catch (err) {
      const e = normaliseError(err);
      refuse(e.code, e.message);
      return;
    }
    if (this.expired) return; // ended while we verified
    if (next.exp * 1000 <= Date.now()) {
      return refuse('auth.token_expired', 'the new access token has expired already');
    }
    if (next.sid !== current.sid) {
      return refuse('runtime.token_session_mismatch', 'the new token is for another session');
    }
    if (next.sub !== current.sub) {
      return refuse('runtime.token_subject_mismatch', 'the new token is for another user');
    }
    if (next.ownerEpoch < current.ownerEpoch) {
      return refuse('auth.token_invalid', 'the new token is from an older session owner');
    }
    this.claims = next;
    this.armExpiry();
    this.session?.observeToken(next);
    this.send({ type: 'refreshed', exp: next.exp, ...(requestId ? { requestId } : {}) });
  }

  private async handle(msg: ClientMessage): Promise<void> {
    const session = this.session!;
    if (this.expired) return;
    if (!this.tokenLive()) {
      this.expire(msg.type === 'hello' || msg.type === 'attach' ? undefined : msg.requestId);
      return;
    }
    switch (msg.type) {
      case 'hello':
        throw new SpinError('request.invalid', 'already authenticated');
      case 'ping':
        this.send({ type: 'pong', ...(msg.requestId ? { requestId: msg.requestId } : {}) });
        return;
      case 'attach': {
        session.detach(this);
        const { fromSeq, headSeq } = await session.attach(this, msg.lastSeq);
        this.send({ type: 'attached', fromSeq, headSeq });
        if (session.kernelStatus) this.send(session.kernelStatus);
        if (this.claims!.perms.includes('execute')) {
          for (const req of session.pendingInputsFor(this.claims!.sub)) this.send(req);
        }
        return;
      }
      case 'kernel_request':
        if (!this.claims!.perms.includes('execute')) {
          this.error(
            'runtime.permission_required',
            'this token may not use the kernel',
            msg.requestId,
          );
          return;
        }
        // not awaited in the message chain: a kernel busy with a cell must not hold up the
        // socket's other messages (interrupt above all)
        void session.kernelRequest(msg.request, msg.code, msg.cursorPos, msg.detailLevel).then(
          (content) =>
            this.send({
              type: 'kernel_reply',
              requestId: msg.requestId,
              // an inspect of a variable shows its value: mask the session's secrets
              content: this.ctx.secrets.maskerFor(session.sid).maskDeep(content),
            }),
          (err: unknown) => {
            const e = normaliseError(err);
            this.error(e.code, e.message, msg.requestId);
          },
        );
        return;
      case 'restart':
        if (!this.claims!.perms.includes('interrupt')) {
          this.error('runtime.permission_required', 'this token may not restart', msg.requestId);
          return;
        }
        if (!session.honoursOwnerRights(this.claims!)) {
          this.ctx.metrics.envelopeRejections.inc({ code: 'runtime.not_owner' });
          this.error(
            'runtime.not_owner',
            'the session was handed to another owner; only the owner may restart',
            msg.requestId,
          );
          return;
        }
        try {
          await session.restart();
          this.send({ type: 'restarted', requestId: msg.requestId });
        } catch (err) {
          const e = normaliseError(err);
          this.error(e.code, e.message, msg.requestId);
        }
        return;
      case 'input_reply': {
        const ok =
          this.claims!.perms.includes('execute') &&
          session.answerInput(msg.jti, this.claims!.sub, msg.value);
        if (!ok) {
          this.error(
            'runtime.no_input_pending',
            'that run is not waiting for input from you',
            msg.requestId,
          );
        }
        return;
      }
      case 'interrupt':
        if (!this.claims!.perms.includes('interrupt')) {
          this.error('runtime.permission_required', 'this token may not interrupt', msg.requestId);
          return;
        }
        if (!session.honoursOwnerRights(this.claims!)) {
          this.ctx.metrics.envelopeRejections.inc({ code: 'runtime.not_owner' });
          this.error(
            'runtime.not_owner',
            'the session was handed to another owner; only the owner may interrupt',
            msg.requestId,
          );
          return;
        }
        session.interrupt();
        this.send({ type: 'interrupted', requestId: msg.requestId });
        return;
      case 'execute':
        await this.execute(msg.requestId, msg.envelope);
        return;
      case 'refresh':
        await this.refresh(msg.token, msg.requestId);
        return;
      case 'credentials':
        await this.acceptCredentials(msg.requestId, msg.bundle);
        return;
    }
  }

  /**
   * Store a relayed credential bundle (credentials/credentialStore.ts): any attached client may
   * relay one — it is sealed to this runtime and signed by the paired server, so a client can
   * neither read nor forge it, and an older one is refused. Messages are handled in order, so a
   * program sent after the bundle runs with it.
   */
  private async acceptCredentials(requestId: string, bundle: string): Promise<void> {
    const { credentials, keys, pairing, logger, metrics } = this.ctx;
    try {
      const { version } = await credentials.accept(bundle, keys, pairing);
      this.send({ type: 'credentials_ack', requestId, version });
    } catch (err) {
      const e = normaliseError(err);
      metrics.envelopeRejections.inc({ code: e.code });
      if (e.code === 'internal.error') logger.error({ err, requestId }, 'credential bundle failed');
      else
        logger.warn(
          { code: e.code, requestId, sub: this.claims?.sub },
          'credential bundle refused',
        );
      this.error(e.code, e.message, requestId);
    }
  }

  private async execute(requestId: string, envelope: string): Promise<void> {
    const token = this.claims!;
    const { keys, pairing, replay, logger, metrics } = this.ctx;
    try {
      if (!token.perms.includes('execute')) {
        throw new SpinError('runtime.permission_required', 'this token may not execute programs');
      }
      const jwks = pairing.serverJwks;
      if (!jwks) throw new SpinError('runtime.not_paired', 'this runtime is not paired');
      const claims = await openProgram(envelope, {
        decryptionKey: keys.decryptionKey,
        decryptionKid: keys.encryption.publicJwk.kid,
        serverJwks: jwks,
        audience: keys.runtimeId,
        // The jti is written to the replay cache before `accepted` is sent (security/replayCache.ts):
        // a runtime killed after that still refuses the envelope; an OS crash is covered by the
        // fence, which refuses programs issued before the last lease of the previous boot.
        claimJti: async (jti, exp) => replay.claim(jti, exp),
        authorize: (c) => {
          if (!replay.admits(c.iat)) {
            throw new SpinError(
              'envelope.replayed',
              'program was issued before this runtime restarted after an OS crash, so it may have run already; compile it again',
            );
          }
          if (c.sub !== token.sub) {
            throw new SpinError(
              'runtime.token_subject_mismatch',
              'program was issued to another user',
            );
          }
          if (c.sid !== token.sid) {
            throw new SpinError(
              'runtime.token_session_mismatch',
              'program belongs to another session',
            );
          }
        },
      });
      this.send({ type: 'accepted', requestId, jti: claims.jti, cell: claims.cell });
      this.session!.enqueue(claims);
    } catch (err) {
      const e = normaliseError(err);
      metrics.envelopeRejections.inc({ code: e.code });
      if (e.code === 'internal.error') logger.error({ err, requestId }, 'program failed to open');
      else logger.warn({ code: e.code, requestId, sid: token.sid }, 'program rejected');
      this.error(e.code, e.message, requestId);
    }
  }
}
