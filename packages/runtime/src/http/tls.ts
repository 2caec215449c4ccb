import { readFileSync } from 'node:fs';
import type { SecureContextOptions, TlsOptions } from 'node:tls';

/** TLS settings of the runtime's listener (files in PEM). */
export interface RuntimeTlsConfig {
  /** Certificate chain (`SPIN_TLS_CERT`). */
  cert?: string | undefined;
  /** Private key (`SPIN_TLS_KEY`). */
  key?: string | undefined;
  /** CA bundle client certificates must chain to (`SPIN_TLS_CLIENT_CA`); turns on mutual TLS. */
  clientCa?: string | undefined;
}

/** What `https.createServer` gets, and whether clients must present a certificate. */
export interface RuntimeTls {
  options: TlsOptions & SecureContextOptions;
  mutual: boolean;
}

function readPem(file: string, what: string, env: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(
      `invalid runtime configuration: ${env}: cannot read the ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
}

/**
 * The runtime's TLS options, or null for plain HTTP. A certificate needs its key and the other
 * way round; a client CA needs TLS. With a client CA the handshake itself refuses a client
 * without a certificate that chains to it (`requestCert` + `rejectUnauthorized`), before any
 * HTTP or WebSocket byte is read — so an unauthenticated peer reaches no endpoint at all.
 */
export function loadRuntimeTls(cfg: RuntimeTlsConfig): RuntimeTls | null {
  if (!cfg.cert && !cfg.key) {
    if (cfg.clientCa) {
      throw new Error(
        'invalid runtime configuration: SPIN_TLS_CLIENT_CA needs SPIN_TLS_CERT and SPIN_TLS_KEY',
      );
    }
    return null;
  }
  if (!cfg.cert || !cfg.key) {
    throw new Error(
      'invalid runtime configuration: SPIN_TLS_CERT and SPIN_TLS_KEY go together: set both or neither',
    );
  }
  const options: TlsOptions & SecureContextOptions = {
    cert: readPem(cfg.cert, 'certificate', 'SPIN_TLS_CERT'),
    key: readPem(cfg.key, 'private key', 'SPIN_TLS_KEY'),
    minVersion: 'TLSv1.2',
  };
  if (cfg.clientCa) {
    options.ca = readPem(cfg.clientCa, 'client CA bundle', 'SPIN_TLS_CLIENT_CA');
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return { options, mutual: Boolean(cfg.clientCa) };
}
