import type { Logger } from 'pino';
import type { RuntimeConfig } from './config.js';
import type { CredentialStore } from './credentials/credentialStore.js';
import type { CredentialResolver } from './credentials/runCredentials.js';
import type { KernelManager } from './kernels/kernelManager.js';
import type { RuntimeMetrics } from './metrics.js';
import type { RuntimeKeys } from './security/identity.js';
import type { PairingStore } from './security/pairing.js';
import type { ReplayCache } from './security/replayCache.js';
import type { SessionManager } from './sessions/sessionManager.js';

/** Everything the HTTP and WebSocket layers need, built once by `startRuntime`. */
export interface RuntimeContext {
  config: RuntimeConfig;
  keys: RuntimeKeys;
  pairing: PairingStore;
  replay: ReplayCache;
  sessions: SessionManager;
  /** The credential bundle relayed by clients (`credentials` message). */
  credentials: CredentialStore;
  /** Secrets resolved per session (their masker hides them in kernel replies too). */
  secrets: CredentialResolver;
  kernels: KernelManager;
  metrics: RuntimeMetrics;
  logger: Logger;
  /** How long a new WebSocket may wait before its hello (10 s; tests shorten it). */
  helloTimeoutMs: number;
}
