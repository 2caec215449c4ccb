import { Dealer } from 'zeromq';

/** How often the heartbeat pings and how many unanswered pings in a row mean "dead". */
export interface HeartbeatOptions {
  intervalMs: number;
  misses: number;
}

/** Defaults: a kernel silent for 10 s of pings is dead (its heartbeat is a C thread: busy
 * Python code keeps answering, only a hung or stopped process does not). */
export const DEFAULT_HEARTBEAT: HeartbeatOptions = { intervalMs: 2000, misses: 5 };

/**
 * The Jupyter heartbeat channel (https://jupyter-client.readthedocs.io/en/stable/messaging.html#heartbeat-for-kernels):
 * the kernel echoes every frame sent to its hb socket. A Dealer (not REQ, which would wedge on
 * a lost reply) pings every `intervalMs`; after `misses` pings in a row got no echo, `onLost`
 * runs once.
 */
export class Heartbeat {
  private readonly sock = new Dealer({ linger: 0 });
  private timer: NodeJS.Timeout | undefined;
  private unanswered = 0;
  private stopped = false;

  constructor(
    url: string,
    private readonly opts: HeartbeatOptions,
    private readonly onLost: () => void,
  ) {
    this.sock.connect(url);
    void this.pump();
  }

  /** Start pinging. */
  start(): void {
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.unanswered >= this.opts.misses) {
      this.stop();
      this.onLost();
      return;
    }
    this.unanswered++;
    // a full send queue (kernel gone) must not throw out of the timer
    this.sock.send(Buffer.from('ping')).catch(() => undefined);
  }

  private async pump(): Promise<void> {
    try {
      for await (const _frames of this.sock) this.unanswered = 0;
    } catch {
      // closed
    }
  }

  /** Stop pinging and close the socket. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    if (!this.sock.closed) this.sock.close();
  }
}
