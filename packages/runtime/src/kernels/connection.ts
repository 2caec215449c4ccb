import { Dealer, Subscriber, type Socket } from 'zeromq';
import type { Channel } from './messages.js';
import type { KernelEndpoints } from './provisioner.js';
import { MessageCodec, WireError, type JupyterMessage } from './wire.js';

/**
 * The runtime's ZeroMQ sockets to one kernel (https://jupyter-client.readthedocs.io/en/stable/messaging.html#introduction):
 * Dealer on shell, control and stdin (routing id = the codec's session), Subscriber on iopub
 * (subscribed to everything). Every signed message received is handed to `onMessage` with its
 * channel; unsigned or forged frames are dropped. Sends on one socket keep their order.
 * The heartbeat channel has its own socket ({@link Heartbeat}), at {@link heartbeatUrl}.
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
  ) {
    this.codec = new MessageCodec(endpoints.key);
    const routingId = this.codec.session;
    const iopub = new Subscriber({ linger: 0 });
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
    try {
      for await (const frames of sock) this.dispatch(channel, frames);
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
