import { Dealer, Subscriber, type Socket } from 'zeromq';
import type { Channel } from './messages.js';
import type { KernelEndpoints } from './provisioner.js';
import { MessageCodec, WireError, type JupyterMessage } from './wire.js';

/**
 * A socket with messages queued hands them over without ever leaving the microtask queue, so
 * a kernel flooding iopub would starve the event loop: no WebSocket write, timer or HTTP
 * request would run until the flood ends — nor the Node-API finalizers, which Node runs between
 * turns, that give zeromq's zero-copy message buffers back: that is how a 200 MB cell held
 * hundreds of MB of messages already handled (measured: RSS grew far past heap + external).
 * The pump yields one turn after this many bytes or messages; a burst below both stays in one
 * turn (one journal event, see StreamCoalescer).
 */
const YIELD_BYTES = 4 * 1024 * 1024;
const YIELD_MESSAGES = 256;

/**
 * The runtime's ZeroMQ sockets to one kernel (https://jupyter-client.readthedocs.io/en/stable/messaging.html#introduction):
 * Dealer on shell, control and stdin (routing id = the codec's session), Subscriber on iopub
 * (subscribed to everything, reading ahead at most `iopubReadAhead` messages, 0 = no limit:
 * a kernel's PUB socket drops what a subscriber does not take, see iopubBounds.ts). Every
 * signed message received is handed to `onMessage` with its channel; unsigned or forged frames
 * are dropped. Sends on one socket keep their order. The heartbeat channel has its own socket
 * (heartbeat.ts), at {@link heartbeatUrl}.
 */
export class KernelConnection {
  readonly codec: MessageCodec;
  /** The heartbeat socket's address. */
  readonly heartbeatUrl: string;
  /** Resolves when the stdin socket has connected (or never, if it does not). */
  readonly stdinConnected: Promise<void>;
  private readonly sockets: Record<Channel, Dealer | Subscriber>;
  private readonly sendChains = new Map<Channel, Promise<unknown>>();

  constructor(
    endpoints: KernelEndpoints,
    private readonly onMessage: (channel: Channel, msg: JupyterMessage) => void,
    iopubReadAhead: number,
  ) {
    this.codec = new MessageCodec(endpoints.key);
    const routingId = this.codec.session;
    const iopub = new Subscriber({ linger: 0, receiveHighWaterMark: iopubReadAhead });
    const stdin = new Dealer({ routingId, linger: 0 });
    this.sockets = {
      shell: new Dealer({ routingId, linger: 0 }),
      control: new Dealer({ routingId, linger: 0 }),
      iopub,
      stdin,
    };
    // The kernel's stdin is a ROUTER: an input_request to a peer that has not connected yet is
    // dropped, and the cell waits forever. Each socket reconnects on its own timer, so shell
    // being ready says nothing about stdin: wait for stdin's own connection too.
    this.stdinConnected = new Promise<void>((resolve) => {
      stdin.events.on('connect', () => resolve());
    });
    iopub.subscribe();
    for (const channel of ['shell', 'control', 'iopub', 'stdin'] as const) {
      this.sockets[channel].connect(endpoints[channel]);
      void this.pump(channel, this.sockets[channel]);
    }
    this.heartbeatUrl = endpoints.hb;
  }

  /**
   * Read ahead without limit from now on: for a kernel whose iopub socket turned out to drop
   * what the runtime does not read. Only ever raised: libzmq applies a changed HWM to the
   * connected pipe (4.2+), but lowering it from unlimited stalled the pipe (measured: a 40 MB
   * cell hung; a pipe created unlimited never tells the sender what it has read).
   */
  unboundIopubReadAhead(): void {
    (this.sockets.iopub as Subscriber).receiveHighWaterMark = 0;
  }

  /** Sign and send `msg` on `channel`, after whatever was sent there before. */
  send(channel: Exclude<Channel, 'iopub'>, msg: JupyterMessage): Promise<unknown> {
    const sock = this.sockets[channel] as Dealer;
    const frames = this.codec.encode(msg);
    const prev = this.sendChains.get(channel) ?? Promise.resolve();
    const next = prev.then(() => sock.send(frames));
    this.sendChains.set(
      channel,
      next.catch(() => undefined),
    );
    return next;
  }

  private async pump(channel: Channel, sock: Socket & AsyncIterable<Buffer[]>): Promise<void> {
    let bytes = 0;
    let messages = 0;
    try {
      for await (const frames of sock) {
        this.dispatch(channel, frames);
        for (const f of frames) bytes += f.length;
        if (bytes >= YIELD_BYTES || ++messages >= YIELD_MESSAGES) {
          bytes = 0;
          messages = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } catch {
      // socket closed
    }
  }

  private dispatch(channel: Channel, frames: Buffer[]): void {
    let msg: JupyterMessage;
    try {
      msg = this.codec.decode(frames);
    } catch (err) {
      if (err instanceof WireError) return; // unsigned or forged: drop it
      throw err;
    }
    this.onMessage(channel, msg);
  }

  /** Close every socket (pending receives end, pending sends fail). */
  close(): void {
    for (const s of Object.values(this.sockets)) {
      if (!s.closed) s.close();
    }
  }
}
