import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  CredentialBundleClaimsSchema,
  SpinError,
  type BundleConnection,
  type BundleSecret,
  type CredentialBundleClaims,
} from '@spin/protocol';
import { openCredentialBundle } from '@spin/protocol/node';
import type { RuntimeKeys } from '../security/identity.js';
import type { PairingStore } from '../security/pairing.js';

/** File format version of the encrypted store (`bundle.enc`). */
const STORE_FORMAT = 1;
const KEY_BYTES = 32;
const IV_BYTES = 12;

/** Where the runtime keeps its credential bundle: `$SPIN_HOME/credentials/`. */
export function credentialsDir(home: string): string {
  return join(home, 'credentials');
}

function writePrivate(file: string, data: string | Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * The runtime's credential bundle (DESIGN.md §1 "Credentials", protocol `credentials.ts`): the
 * newest bundle the paired server sealed for this runtime, relayed by a client. It is kept
 * encrypted at rest (AES-256-GCM, `credentials/bundle.enc`, with a runtime-local key in
 * `credentials/store.key`, both 0600) and survives a restart. A bundle replaces the previous one
 * entirely, so a deleted or rotated credential is gone from memory and disk; an older or equal
 * version is refused (`credentials.stale_bundle`) and changes nothing. The version high-water
 * mark is kept beside it in plain text, so even a store that no longer decrypts (its key lost or
 * the file damaged) never lets an older bundle back in: the runtime then reports version 0 and
 * takes the current bundle again, but nothing older. Values are never logged: only versions and
 * counts.
 */
export class CredentialStore {
  private claims: CredentialBundleClaims | null = null;
  private highWater = 0;
  private readonly dir: string;
  private readonly key: Buffer;
  private envNames: ReadonlySet<string> = new Set();

  constructor(
    home: string,
    private readonly runtimeId: string,
    private readonly logger: Logger,
  ) {
    this.dir = credentialsDir(home);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    this.key = this.loadKey();
    this.load();
  }

  /** Version held (0: none — also when the stored one could not be read). */
  get version(): number {
    return this.claims?.version ?? 0;
  }

  private get bundleFile(): string {
    return join(this.dir, 'bundle.enc');
  }
  private get versionFile(): string {
    return join(this.dir, 'version');
  }

  private loadKey(): Buffer {
    const file = join(this.dir, 'store.key');
    if (existsSync(file)) {
      const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
      if (key.length === KEY_BYTES) return key;
      this.logger.error({ file }, 'credential store key is malformed; starting a new store');
    }
    const key = randomBytes(KEY_BYTES);
    writePrivate(file, key.toString('base64') + '\n');
    return key;
  }

  private aad(): Buffer {
    return Buffer.from(`spin.credentials.v${STORE_FORMAT}:${this.runtimeId}`);
  }

  private load(): void {
    if (existsSync(this.versionFile)) {
      const n = Number(readFileSync(this.versionFile, 'utf8').trim());
      if (Number.isSafeInteger(n) && n > 0) this.highWater = n;
    }
    if (!existsSync(this.bundleFile)) return;
    try {
      const raw = readFileSync(this.bundleFile);
      if (raw[0] !== STORE_FORMAT) throw new Error('unknown store format');
      const iv = raw.subarray(1, 1 + IV_BYTES);
      const tag = raw.subarray(1 + IV_BYTES, 1 + IV_BYTES + 16);
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAAD(this.aad());
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([
        decipher.update(raw.subarray(1 + IV_BYTES + 16)),
        decipher.final(),
      ]);
      const claims = CredentialBundleClaimsSchema.parse(JSON.parse(plain.toString('utf8')));
      this.hold(claims);
      this.highWater = Math.max(this.highWater, claims.version);
      this.logger.info({ credentialsVersion: claims.version }, 'credential bundle loaded');
    } catch (err) {
      // A relayed bundle replaces it; older ones stay refused by the high-water mark.
      this.logger.error(
        { reason: (err as Error).message, credentialsVersion: this.highWater },
        'stored credential bundle cannot be read; waiting for a new one',
      );
    }
  }

  private hold(claims: CredentialBundleClaims): void {
    this.claims = claims;
    this.envNames = new Set(
      claims.secrets.flatMap((s) => (s.ref.storeType === 'runtime_env' ? [s.ref.env] : [])),
    );
  }

  private persist(claims: CredentialBundleClaims): void {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(this.aad());
    const ct = Buffer.concat([cipher.update(JSON.stringify(claims), 'utf8'), cipher.final()]);
    writePrivate(
      this.bundleFile,
      Buffer.concat([Buffer.from([STORE_FORMAT]), iv, cipher.getAuthTag(), ct]),
    );
    writePrivate(this.versionFile, `${claims.version}\n`);
  }

  /**
   * Open a sealed bundle (audience = this runtime, signed by the paired server) and keep it when
   * it is newer than the one held. Throws `runtime.not_paired`, the `envelope.*` codes,
   * `credentials.bundle_invalid` or `credentials.stale_bundle`; on any of them nothing changes.
   */
  async accept(
    jwe: string,
    keys: RuntimeKeys,
    pairing: PairingStore,
  ): Promise<{ version: number }> {
    const jwks = pairing.serverJwks;
    if (!jwks) throw new SpinError('runtime.not_paired', 'this runtime is not paired');
    const claims = await openCredentialBundle(jwe, {
      decryptionKey: keys.decryptionKey,
      decryptionKid: keys.encryption.publicJwk.kid,
      serverJwks: jwks,
      audience: this.runtimeId,
    });
    if (claims.version <= this.version || claims.version < this.highWater) {
      const held = Math.max(this.version, this.highWater);
      this.logger.warn(
        { credentialsVersion: held, offered: claims.version },
        'credential bundle refused: not newer than the one held',
      );
      throw new SpinError(
        'credentials.stale_bundle',
        `credential bundle version ${claims.version} is not newer than the held version ${held}`,
      );
    }
    this.persist(claims);
    const previous = this.version;
    this.hold(claims);
    this.highWater = claims.version;
    this.logger.info(
      {
        credentialsVersion: claims.version,
        previousVersion: previous,
        connections: claims.connections.length,
        secrets: claims.secrets.length,
      },
      'credential bundle stored',
    );
    return { version: claims.version };
  }

  /**
   * Environment variables that `runtime_env` secrets of the held bundle read: kernels and
   * child processes never inherit them (a resolved value reaches a cell only explicitly).
   */
  runtimeEnvNames(): ReadonlySet<string> {
    return this.envNames;
  }

  /** A connection of the held bundle by id. */
  connection(id: string): BundleConnection | undefined {
    return this.claims?.connections.find((c) => c.id === id);
  }

  /** A secret of the held bundle by id. */
  secret(id: string): BundleSecret | undefined {
    return this.claims?.secrets.find((s) => s.id === id);
  }
}
