import { runtimeFingerprint, SpinError, type Runtime, type RuntimeIdentity } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { actorId, type Actor } from '../policies/actor.js';
import { runtimesRepository, type RuntimeRow } from '../repositories/runtimesRepository.js';
import type { AuditService } from './auditService.js';

/** Presenter: a runtime row as the API shows it. */
export function presentRuntime(row: RuntimeRow): Runtime {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    fingerprint: row.fingerprint,
    pairedAt: row.pairedAt.toISOString(),
  };
}

/** Input of {@link RuntimeService.register}: what the client got from the runtime's pairing. */
export interface RegisterRuntimeInput {
  name: string;
  url: string;
  identity: RuntimeIdentity;
}

/** Paired runtimes. The server stores their public keys; it never connects to them. */
export class RuntimeService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  /**
   * Register (or re-register, updating keys and url) a runtime. The fingerprint is recomputed
   * from the keys; a mismatch is rejected so a relaying client cannot swap keys.
   */
  async register(input: RegisterRuntimeInput, actor: Actor): Promise<Runtime> {
    const { identity } = input;
    const fingerprint = await runtimeFingerprint(identity.keys.signing, identity.keys.encryption);
    if (fingerprint !== identity.fingerprint) {
      throw new SpinError(
        'request.invalid',
        `runtime fingerprint does not match its keys (expected ${fingerprint})`,
      );
    }
    if (identity.keys.signing.crv !== 'Ed25519' || identity.keys.encryption.crv !== 'X25519') {
      throw new SpinError('request.invalid', 'runtime keys must be Ed25519 (signing) and X25519');
    }
    const row = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const saved = await runtimesRepository.upsert(tx, {
        id: identity.runtimeId,
        name: input.name,
        url: input.url,
        signingJwk: identity.keys.signing,
        encryptionJwk: identity.keys.encryption,
        fingerprint,
        registeredBy: actorId(actor),
      });
      await this.audit.append(
        {
          actor: actorId(actor),
          action: 'runtime.registered',
          subject: saved.id,
          data: { name: saved.name, url: saved.url, fingerprint },
        },
        tx,
      );
      return saved;
    });
    return presentRuntime(row);
  }

  async list(): Promise<Runtime[]> {
    return (await runtimesRepository.list(this.db)).map(presentRuntime);
  }

  /** The stored row (with keys), or 404 `runtime.unknown_runtime`. */
  async getRow(id: string, db: Db = this.db): Promise<RuntimeRow> {
    const row = await runtimesRepository.get(db, id);
    if (!row) throw new SpinError('runtime.unknown_runtime', `runtime ${id} is not registered`);
    return row;
  }
}
