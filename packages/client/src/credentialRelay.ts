import type { RuntimeSocket } from './runtimeSocket.js';
import type { ServerApi } from './serverApi.js';

/**
 * Relays a runtime's sealed credential bundle from the server before a program that needs a
 * newer one (DESIGN.md §1 "Credentials"). One relay at a time; the runtime handles messages in
 * order, so the program sent next runs with the bundle.
 */
export class CredentialRelay {
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly api: ServerApi,
    private readonly runtimeId: string,
    private readonly socket: RuntimeSocket,
  ) {}

  /** Before a program that needs credentials version `needed` (undefined: none). */
  ensure(needed: number | undefined): Promise<void> {
    if (needed === undefined) return Promise.resolve();
    this.inFlight = this.inFlight
      .catch(() => undefined)
      .then(async () => {
        const have = this.socket.credentialsVersion;
        if (needed <= have) return;
        const res = await this.api.runtimeCredentials(this.runtimeId, have);
        if (res.bundle) await this.socket.relayCredentials(res.bundle);
      });
    return this.inFlight;
  }
}
