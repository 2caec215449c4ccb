import { randomUUID } from 'node:crypto';
import { sealCredentialBundle } from '@spin/protocol/node';
import {
  canonicalJson,
  cellTypeInfo,
  sha256Hex,
  SpinError,
  templateRefs,
  type BundleConnection,
  type BundleSecret,
  type CellInput,
  type ProgramBody,
  type ProgramCredentials,
  type SecretRef,
} from '@spin/protocol';
import type { JWK } from 'jose';
import type { z } from 'zod';
import type { CredentialBundleResponseSchema } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { actorId, type UserActor } from '../policies/actor.js';
import { ancestorsOf } from '../policies/workspaceTree.js';
import {
  credentialsRepository,
  type ConnectionRow,
  type SecretRow,
} from '../repositories/credentialsRepository.js';
import type { RuntimeRow } from '../repositories/runtimesRepository.js';
import { workspacesRepository } from '../repositories/workspacesRepository.js';
import type { AuditService } from './auditService.js';
import type { CredentialService } from './credentialService.js';
import type { ServerKeyService } from './serverKeyService.js';

type BundleResponse = z.output<typeof CredentialBundleResponseSchema>;

/** `SpinSecrets.get_secret("NAME")` in kernel code (Python reads secrets this way). */
const GET_SECRET =
  /SpinSecrets\s*\.\s*get_secret\(\s*(["'])([A-Za-z_][A-Za-z0-9_.-]{0,127})\1\s*\)/g;

/** What a runtime's bundle holds, before any value is decrypted. */
interface BundleRows {
  connections: ConnectionRow[];
  secrets: SecretRow[];
  /** Each workspace of the bundle and its ancestors, nearest first (name resolution). */
  chains: Map<string, string[]>;
}

/** The first row named `name` along `chain` (nearest workspace first). */
function nearest<R extends { workspaceId: string; name: string }>(
  rows: readonly R[],
  chain: readonly string[],
  name: string,
): R | undefined {
  for (const ws of chain) {
    const hit = rows.find((r) => r.workspaceId === ws && r.name === name);
    if (hit) return hit;
  }
  return undefined;
}

/** `{{secret:NAME}}` names in a value. */
function secretNames(value: unknown): string[] {
  return [...new Set(templateRefs(value).flatMap((r) => (r.kind === 'secret' ? [r.name] : [])))];
}

/**
 * The encrypted credential sync of issue 9 (DESIGN.md §1 "Credentials"): for each runtime a
 * versioned bundle of the connections and secrets of every workspace that may use it — the
 * runtime's workspace, its descendants (they inherit the runtime) and its ancestors (they
 * inherit credentials downwards) — signed by the server and sealed to the runtime's X25519 key,
 * like programs. The version moves when the digest of ids and versions changes (never a digest
 * of values), so it is monotonic and moves only for changes that affect this runtime.
 */
export class CredentialBundleService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly credentials: CredentialService,
    private readonly keys: ServerKeyService,
    private readonly issuer: string,
  ) {}

  private async rowsFor(db: Db, runtime: RuntimeRow): Promise<BundleRows> {
    const tree = await workspacesRepository.tree(db);
    const byId = new Map(tree.map((w) => [w.id, w]));
    const chains = new Map(tree.map((w) => [w.id, ancestorsOf(byId, w.id)]));
    const included = tree
      .map((w) => w.id)
      .filter(
        (id) =>
          chains.get(id)!.includes(runtime.workspaceId) ||
          chains.get(runtime.workspaceId)?.includes(id),
      );
    return {
      connections: await credentialsRepository.connectionsIn(db, included),
      secrets: await credentialsRepository.secretsIn(db, included),
      chains,
    };
  }

  /** The runtime's current bundle version (bumped here when its contents changed). */
  private async versionOf(db: Db, runtime: RuntimeRow, rows: BundleRows): Promise<number> {
    const digest = await sha256Hex(
      canonicalJson({
        c: rows.connections.map((c) => [c.id, c.version, c.workspaceId]),
        s: rows.secrets.map((s) => [s.id, s.version, s.workspaceId]),
      }),
    );
    return credentialsRepository.bundleVersionFor(db, runtime.id, digest);
  }

  /** The current version of the runtime's bundle. */
  async currentVersion(runtime: RuntimeRow): Promise<number> {
    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      return this.versionOf(tx, runtime, await this.rowsFor(tx, runtime));
    });
  }

  /**
   * `GET /runtimes/:id/credentials?have=N`: the sealed bundle, or `bundle: null` when the
   * runtime already holds the current version. Every fetch is audited (counts, not names).
   */
  async fetch(
    actor: UserActor,
    runtime: RuntimeRow,
    have: number | undefined,
  ): Promise<BundleResponse> {
    return this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const rows = await this.rowsFor(tx, runtime);
      const version = await this.versionOf(tx, runtime, rows);
      const current = have === version;
      const bundle = current ? null : await this.seal(runtime, version, rows);
      await this.audit.append(
        {
          actor: actorId(actor),
          workspaceId: runtime.workspaceId,
          action: 'credentials.bundle_fetched',
          subject: runtime.id,
          data: {
            runtime: runtime.id,
            version,
            have: have ?? null,
            sent: bundle !== null,
            connections: rows.connections.length,
            secrets: rows.secrets.length,
          },
        },
        tx,
      );
      return { version, bundle };
    });
  }

  private async seal(runtime: RuntimeRow, version: number, rows: BundleRows): Promise<string> {
    const secrets: BundleSecret[] = rows.secrets.map((s) => {
      const value = this.credentials.secretValue(s);
      return {
        id: s.id,
        name: s.name,
        workspaceId: s.workspaceId,
        version: s.version,
        ref: s.ref as SecretRef,
        ...(value !== undefined ? { value } : {}),
      };
    });
    const connections: BundleConnection[] = rows.connections.map((c) => {
      const values = this.credentials.connectionSecretValues(c);
      const chain = rows.chains.get(c.workspaceId) ?? [c.workspaceId];
      const secretIds: Record<string, string> = {};
      for (const name of secretNames(values)) {
        const hit = nearest(rows.secrets, chain, name);
        if (hit) secretIds[name] = hit.id;
      }
      return {
        id: c.id,
        name: c.name,
        workspaceId: c.workspaceId,
        processor: c.processor,
        version: c.version,
        config: c.config,
        secrets: values,
        secretIds,
      };
    });
    const key = this.keys.signingKey();
    const recipient = runtime.encryptionJwk as JWK & { kid: string };
    return sealCredentialBundle(
      {
        iss: this.issuer,
        aud: runtime.id,
        jti: randomUUID(),
        iat: Math.floor(Date.now() / 1000),
        version,
        connections,
        secrets,
      },
      {
        signingKey: key.privateKey,
        signingKid: key.kid,
        recipientKey: recipient,
        recipientKid: recipient.kid,
      },
    );
  }

  /**
   * The connection a cell uses, resolved by name in the notebook's workspace and its ancestors
   * (nearest first); without a name, the nearest default connection of the cell's processor.
   * A name that resolves to nothing is `connection.not_found` at compile time.
   */
  async resolveConnection(
    ancestry: readonly string[],
    cell: CellInput,
  ): Promise<ConnectionRow | null> {
    const manifest = cellTypeInfo(cell.type)?.manifest ?? null;
    if (!manifest) return null;
    const rows = await credentialsRepository.connectionsIn(this.db, ancestry);
    if (cell.connection) {
      const hit = nearest(rows, ancestry, cell.connection);
      // Not a server-held connection: it may be one the runtime's operator defines beside the
      // runtime (SPIN_CONNECTIONS_FILE), which the server never sees. The program names it
      // without credentials; a runtime that has no such connection refuses the run with
      // `connection.not_found`, naming it.
      if (!hit) return null;
      if (hit.processor !== manifest.id) {
        throw new SpinError(
          'cell.invalid_params',
          `connection "${hit.name}" is a ${hit.processor} connection; this cell needs ${manifest.id}`,
        );
      }
      return hit;
    }
    for (const ws of ancestry) {
      const hit = rows.find(
        (r) => r.workspaceId === ws && r.processor === manifest.id && r.isDefault,
      );
      if (hit) return hit;
    }
    return null;
  }

  /**
   * Program credentials (ids, never values): the resolved connection and every secret the
   * program names — `{{secret:NAME}}` in its text or parameters, `SpinSecrets.get_secret("NAME")`
   * in kernel code — resolved in the notebook's workspace and its ancestors. The bundle version
   * is the runtime's current one when anything is used, else 0 (no sync needed).
   */
  async programCredentials(
    runtime: RuntimeRow,
    ancestry: readonly string[],
    connection: ConnectionRow | null,
    program: ProgramBody,
  ): Promise<ProgramCredentials> {
    const text = program.kind === 'kernel' ? program.code : program.params;
    const refs = templateRefs(text);
    const names = new Set(refs.flatMap((r) => (r.kind === 'secret' ? [r.name] : [])));
    if (program.kind === 'kernel') {
      for (const m of program.code.matchAll(GET_SECRET)) names.add(m[2]!);
    }
    // `{{secret_var:v}}` names a secret through a session variable, known only at run time:
    // the program may then use any secret its notebook's workspace can use (still by id).
    const anySecret = refs.some((r) => r.kind === 'secret_var');
    const secrets: Record<string, string> = {};
    if (names.size || anySecret) {
      const rows = await credentialsRepository.secretsIn(this.db, ancestry);
      for (const name of [...names].sort()) {
        const hit = nearest(rows, ancestry, name);
        if (!hit) {
          throw new SpinError(
            'secret.not_found',
            `no secret named "${name}" in this notebook's workspace or its parents`,
          );
        }
        secrets[name] = hit.id;
      }
      if (anySecret) {
        for (const ws of [...ancestry].reverse()) {
          for (const row of rows) if (row.workspaceId === ws) secrets[row.name] = row.id;
        }
      }
    }
    const used = connection !== null || Object.keys(secrets).length > 0 || anySecret;
    return {
      bundleVersion: used ? await this.currentVersion(runtime) : 0,
      connection: connection && { id: connection.id, name: connection.name },
      secrets,
    };
  }
}
