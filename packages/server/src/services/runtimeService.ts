import {
  jwksThumbprint,
  MAX_PAIRING_GRANT_TTL_S,
  runtimeFingerprint,
  signPairingGrant,
  SpinError,
  type Jwks,
  type PairGrantResponse,
  type PublicJwk,
  type RepairRuntimeResponse,
  type Runtime,
  type RuntimeIdentity,
} from '@spin/protocol';
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Db } from '../db/connection.js';
import { actorId, type Actor } from '../policies/actor.js';
import type { Scope } from '../policies/authorize.js';
import { runtimeUsableIn } from '../policies/runtimeUsable.js';
import { runtimesRepository, type RuntimeRow } from '../repositories/runtimesRepository.js';
import type { AuditService } from './auditService.js';
import type { ServerKeyService } from './serverKeyService.js';

/** Presenter: a runtime row as the API shows it. */
export function presentRuntime(row: RuntimeRow): Runtime {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    url: row.url,
    fingerprint: row.fingerprint,
    pairedAt: row.pairedAt.toISOString(),
  };
}

/** Input of {@link RuntimeService.register}: what the client got from the runtime's pairing. */
export interface RegisterRuntimeInput {
  workspaceId: string;
  name: string;
  url: string;
  identity: RuntimeIdentity;
}

/** Input of {@link RuntimeService.repair}. */
export interface RepairRuntimeInput {
  /** The fingerprint the caller expects the server to hold now (what it showed the user). */
  expectedFingerprint: string;
  identity: RuntimeIdentity;
  url?: string | undefined;
  name?: string | undefined;
}

/** Input of {@link RuntimeService.issuePairGrant}. */
export interface PairGrantInput {
  allowedOrigins: readonly string[];
  /** The server the runtime may pair with next (default: this one). */
  server?: { issuer: string; jwks: Jwks } | undefined;
}

/** The origin part of a URL (`scheme://host[:port]`), or null. */
function originOf(url: string): string | null {
  try {
    const o = new URL(url).origin;
    return o === 'null' ? null : o;
  } catch {
    return null;
  }
}

/** Only the members SPIN uses, so nothing a client added rides along into the database. */
function storedJwk(k: PublicJwk): Record<string, unknown> {
  return {
    kty: k.kty,
    crv: k.crv,
    x: k.x,
    kid: k.kid,
    ...(k.alg ? { alg: k.alg } : {}),
    ...(k.use ? { use: k.use } : {}),
  };
}

/**
 * Check a relayed identity: Ed25519 + X25519 keys whose `kid`s are their thumbprints and whose
 * fingerprint is recomputed from the key material, so a relaying client cannot swap keys.
 */
async function checkedKeys(identity: RuntimeIdentity) {
  const { signing, encryption } = identity.keys;
  if (signing.crv !== 'Ed25519' || encryption.crv !== 'X25519') {
    throw new SpinError('request.invalid', 'runtime keys must be Ed25519 (signing) and X25519');
  }
  for (const k of [signing, encryption]) {
    if ((await calculateJwkThumbprint(k as JWK, 'sha256')) !== k.kid) {
      throw new SpinError('request.invalid', `runtime key ${k.kid} is not named by its thumbprint`);
    }
  }
  const fingerprint = await runtimeFingerprint(signing, encryption);
  if (fingerprint !== identity.fingerprint) {
    throw new SpinError(
      'request.invalid',
      `runtime fingerprint does not match its keys (expected ${fingerprint})`,
    );
  }
  return { signingJwk: storedJwk(signing), encryptionJwk: storedJwk(encryption), fingerprint };
}

/**
 * Paired runtimes. The server stores their public keys; it never connects to them. Each
 * belongs to a workspace; registering is once per runtime id, and a key or URL change is an
 * explicit, audited re-pair that names the fingerprint it replaces.
 */
export class RuntimeService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly keys: ServerKeyService,
    private readonly issuer: string,
  ) {}

  /**
   * Register a newly paired runtime in `input.workspaceId` (the caller was authorised for it).
   * An id that is already registered is 409 `runtime.already_registered` and changes nothing.
   */
  async register(actor: Actor, input: RegisterRuntimeInput): Promise<Runtime> {
    const { identity } = input;
    const keys = await checkedKeys(identity);
    const row = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const saved = await runtimesRepository.insert(tx, {
        id: identity.runtimeId,
        workspaceId: input.workspaceId,
        name: input.name,
        url: input.url,
        ...keys,
        registeredBy: actorId(actor),
      });
      if (!saved) {
        throw new SpinError(
          'runtime.already_registered',
          `runtime ${identity.runtimeId} is already registered; to change its keys or URL, re-pair it`,
        );
      }
      await this.audit.append(
        {
          actor: actorId(actor),
          workspaceId: saved.workspaceId,
          action: 'runtime.registered',
          subject: saved.id,
          data: { name: saved.name, url: saved.url, fingerprint: saved.fingerprint },
        },
        tx,
      );
      return saved;
    });
    return presentRuntime(row);
  }

  /**
   * Re-pair `runtime` (loaded by the authorizer): new keys and/or URL. The stored fingerprint
   * must still be `expectedFingerprint` — checked on the loaded row, then again by the update
   * itself (compare-and-set, so a re-pair in between is not overwritten) — else 409
   * `runtime.fingerprint_mismatch` and nothing changes. Audited as `runtime.repaired` with
   * both fingerprints.
   */
  async repair(
    actor: Actor,
    runtime: RuntimeRow,
    input: RepairRuntimeInput,
  ): Promise<RepairRuntimeResponse> {
    if (input.identity.runtimeId !== runtime.id) {
      throw new SpinError(
        'request.invalid',
        `the identity is runtime ${input.identity.runtimeId}, not ${runtime.id}`,
      );
    }
    const keys = await checkedKeys(input.identity);
    const current = runtime;
    if (current.fingerprint !== input.expectedFingerprint) {
      throw new SpinError(
        'runtime.fingerprint_mismatch',
        `runtime ${runtime.id} now has fingerprint ${current.fingerprint}, not ${input.expectedFingerprint}; reload and compare again`,
        { currentFingerprint: current.fingerprint },
      );
    }
    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const saved = await runtimesRepository.updateIfFingerprint(
        tx,
        runtime.id,
        input.expectedFingerprint,
        {
          name: input.name ?? current.name,
          url: input.url ?? current.url,
          ...keys,
          registeredBy: actorId(actor),
        },
      );
      if (!saved) {
        throw new SpinError(
          'runtime.fingerprint_mismatch',
          `runtime ${runtime.id} was re-paired meanwhile; reload and compare again`,
        );
      }
      await this.audit.append(
        {
          actor: actorId(actor),
          workspaceId: saved.workspaceId,
          action: 'runtime.repaired',
          subject: saved.id,
          data: {
            name: saved.name,
            oldFingerprint: current.fingerprint,
            newFingerprint: saved.fingerprint,
            oldUrl: current.url,
            newUrl: saved.url,
          },
        },
        tx,
      );
      return {
        runtime: presentRuntime(saved),
        previousFingerprint: current.fingerprint,
        previousUrl: current.url,
      };
    });
  }

  /**
   * Mint a pairing grant for `runtime` (loaded by the authorizer): signed by this server's key,
   * so a runtime paired with this server accepts pairing again with exactly the named server
   * keys and origins, within 5 minutes, once. Audited as `runtime.pair_grant_issued`.
   */
  async issuePairGrant(
    actor: Actor,
    runtime: RuntimeRow,
    input: PairGrantInput,
  ): Promise<PairGrantResponse> {
    const server = input.server ?? { issuer: this.issuer, jwks: this.keys.jwks() };
    const origins: string[] = [];
    for (const o of input.allowedOrigins) {
      const origin = originOf(o);
      if (!origin) throw new SpinError('request.invalid', `"${o}" is not an origin`);
      if (!origins.includes(origin)) origins.push(origin);
    }
    const jti = randomUUID();
    const serverJwks = await jwksThumbprint(server.jwks);
    const key = this.keys.signingKey();
    const grant = await signPairingGrant(
      {
        iss: this.issuer,
        aud: runtime.id,
        sub: actorId(actor),
        server: { issuer: server.issuer, jwks: serverJwks },
        origins,
        jti,
        ttlS: MAX_PAIRING_GRANT_TTL_S,
      },
      key.privateKey,
      key.kid,
    );
    const expiresAt = new Date(Date.now() + MAX_PAIRING_GRANT_TTL_S * 1000).toISOString();
    await this.audit.append({
      actor: actorId(actor),
      workspaceId: runtime.workspaceId,
      action: 'runtime.pair_grant_issued',
      subject: runtime.id,
      data: { jti, issuer: server.issuer, jwksThumbprint: serverJwks, origins, expiresAt },
    });
    return { grant, expiresAt };
  }

  /** Runtimes of the workspaces in `scope` (the Runtimes page). */
  async list(scope: Scope): Promise<Runtime[]> {
    const rows = await runtimesRepository.listIn(this.db, scope.all ? 'all' : scope.workspaceIds);
    return rows.map(presentRuntime);
  }

  /**
   * Runtimes a notebook of a workspace may run on; `ancestry` is the workspace and its
   * ancestors (from its grant). Filtered by {@link runtimeUsableIn}, the one rule.
   */
  async listUsableIn(ancestry: readonly string[]): Promise<Runtime[]> {
    const rows = await runtimesRepository.listIn(this.db, ancestry);
    return rows.filter((r) => runtimeUsableIn(r, ancestry)).map(presentRuntime);
  }

  /** The stored row, or null. */
  find(id: string): Promise<RuntimeRow | null> {
    return runtimesRepository.get(this.db, id);
  }

  /**
   * The stored row (with keys) of a runtime usable in a workspace (`ancestry`: it and its
   * ancestors), or 404 `runtime.unknown_runtime` — the same answer whether it does not exist
   * or belongs to a workspace the caller's resource cannot use.
   */
  async getUsableRow(id: string, ancestry: readonly string[]): Promise<RuntimeRow> {
    const row = await runtimesRepository.get(this.db, id);
    if (!row || !runtimeUsableIn(row, ancestry)) {
      throw new SpinError('runtime.unknown_runtime', `runtime ${id} is not registered here`);
    }
    return row;
  }

  /** The stored row (with keys), or 404 `runtime.unknown_runtime`. */
  async getRow(id: string, db: Db = this.db): Promise<RuntimeRow> {
    const row = await runtimesRepository.get(db, id);
    if (!row) throw new SpinError('runtime.unknown_runtime', `runtime ${id} is not registered`);
    return row;
  }
}
