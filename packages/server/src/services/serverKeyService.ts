import {
  generateSigningKey,
  importKey,
  PublicJwkSchema,
  SIGNING_ALG,
  type Jwks,
  type PublicJwk,
} from '@spin/protocol';
import type { JWK } from 'jose';
import type { Db } from '../db/connection.js';
import { serverKeysRepository } from '../repositories/serverKeysRepository.js';
import type { MasterKey } from '../security/masterKey.js';

/** The server's active Ed25519 signing key, decrypted. */
export interface ActiveSigningKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof importKey>>;
  publicJwk: PublicJwk;
}

/**
 * Server signing keys: created on first start, private JWK stored encrypted with the master key.
 * A wrong or missing master key fails loudly at start, never silently.
 */
export class ServerKeyService {
  private active: ActiveSigningKey | undefined;
  private publicKeys: PublicJwk[] = [];

  constructor(
    private readonly db: Db,
    private readonly masterKey: MasterKey,
  ) {}

  /** Load (or create) the active key. Called once at start. */
  async init(): Promise<void> {
    let rows = await serverKeysRepository.listActive(this.db);
    if (rows.length === 0) {
      const pair = await generateSigningKey();
      await serverKeysRepository.insert(this.db, {
        kid: pair.publicJwk.kid,
        privateJwkEnc: this.masterKey.encrypt(JSON.stringify(pair.privateJwk)),
        publicJwk: pair.publicJwk,
      });
      rows = await serverKeysRepository.listActive(this.db);
    }
    const newest = rows[rows.length - 1]!;
    let privateJwk: JWK;
    try {
      privateJwk = JSON.parse(this.masterKey.decrypt(newest.privateJwkEnc)) as JWK;
    } catch (err) {
      throw new Error(
        `cannot decrypt the server signing key ${newest.kid}: ${(err as Error).message}`,
      );
    }
    this.publicKeys = rows.map((r) => PublicJwkSchema.parse(r.publicJwk));
    this.active = {
      kid: newest.kid,
      privateKey: await importKey(privateJwk, SIGNING_ALG),
      publicJwk: PublicJwkSchema.parse(newest.publicJwk),
    };
  }

  /** The key programs and access tokens are signed with. */
  signingKey(): ActiveSigningKey {
    if (!this.active) throw new Error('ServerKeyService.init() was not called');
    return this.active;
  }

  /** Public keys for `/.well-known/jwks.json` and pairing. */
  jwks(): Jwks {
    return { keys: this.publicKeys.map((k) => ({ ...k })) };
  }
}
