import {
  SpinError,
  type Connection,
  type ConnectionSummary,
  type Secret,
  type SecretRef,
} from '@spin/protocol';
import type { z } from 'zod';
import type {
  CreateConnectionRequestSchema,
  CreateSecretRequestSchema,
  UpdateConnectionRequestSchema,
  UpdateSecretRequestSchema,
} from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { uniqueViolationOf } from '../db/dbErrors.js';
import { newId } from '../ids.js';
import { actorId } from '../policies/actor.js';
import type { Grant } from '../policies/authorize.js';
import {
  credentialsRepository,
  type ConnectionRow,
  type SecretRow,
} from '../repositories/credentialsRepository.js';
import type { MasterKey } from '../security/masterKey.js';
import type { AuditService } from './auditService.js';
import {
  checkConfig,
  checkSecretFields,
  manifestFor,
  presentConnection,
  presentConnectionSummary,
  presentSecret,
} from './connectionFields.js';

export type CreateConnectionInput = z.output<typeof CreateConnectionRequestSchema>;
export type UpdateConnectionInput = z.output<typeof UpdateConnectionRequestSchema>;
export type CreateSecretInput = z.output<typeof CreateSecretRequestSchema>;
export type UpdateSecretInput = z.output<typeof UpdateSecretRequestSchema>;

/** Nearest workspace first: a child's connection of the same name shadows its parent's. */
function byAncestry<R extends { workspaceId: string; name: string }>(
  rows: R[],
  ancestry: readonly string[],
): R[] {
  return [...rows].sort(
    (a, b) =>
      ancestry.indexOf(a.workspaceId) - ancestry.indexOf(b.workspaceId) ||
      a.name.localeCompare(b.name),
  );
}

/**
 * Connections and secrets (issue 9): validated against processor manifests, write-only fields
 * and `spin_store` values encrypted with the master key (AES-256-GCM, key id prefix), every
 * change audited by name — never by value.
 */
export class CredentialService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly masterKey: MasterKey,
  ) {}

  /** The decrypted write-only values of a connection (bundle building only). */
  connectionSecretValues(row: ConnectionRow): Record<string, string> {
    if (!row.secretsEnc) return {};
    return JSON.parse(this.masterKey.decrypt(row.secretsEnc)) as Record<string, string>;
  }

  /** The decrypted value of a `spin_store` secret (bundle building only). */
  secretValue(row: SecretRow): string | undefined {
    return row.valueEnc === null ? undefined : this.masterKey.decrypt(row.valueEnc);
  }

  private sealFields(values: Record<string, string>) {
    const fields = Object.keys(values).sort();
    return {
      secretFields: fields,
      secretsEnc: fields.length ? this.masterKey.encrypt(JSON.stringify(values)) : null,
    };
  }

  /** Connections usable in the grant's workspace (its own and inherited), names and types. */
  async listConnections(grant: Grant, processor?: string): Promise<ConnectionSummary[]> {
    const rows = await credentialsRepository.connectionsIn(this.db, grant.ancestry);
    return byAncestry(rows, grant.ancestry)
      .filter((r) => processor === undefined || r.processor === processor)
      .map(presentConnectionSummary);
  }

  async createConnection(grant: Grant, input: CreateConnectionInput): Promise<Connection> {
    const m = manifestFor(input.processor);
    const config = checkConfig(m, input.config);
    const values = checkSecretFields(m, input.secrets);
    return this.write('connection', input.name, async (tx) => {
      const id = newId('con');
      if (input.isDefault) {
        await credentialsRepository.clearDefault(tx, grant.workspaceId, m.id, id);
      }
      const row = await credentialsRepository.insertConnection(tx, {
        id,
        workspaceId: grant.workspaceId,
        name: input.name,
        processor: m.id,
        config,
        ...this.sealFields(values),
        isDefault: input.isDefault,
        createdBy: grant.actor.userId,
      });
      await this.audit.append(
        {
          actor: actorId(grant.actor),
          workspaceId: grant.workspaceId,
          action: 'connection.created',
          subject: row.id,
          data: {
            name: row.name,
            processor: row.processor,
            isDefault: row.isDefault,
            secretFields: row.secretFields,
          },
        },
        tx,
      );
      return presentConnection(row);
    });
  }

  getConnection(row: ConnectionRow): Connection {
    return presentConnection(row);
  }

  async updateConnection(
    grant: Grant,
    current: ConnectionRow,
    input: UpdateConnectionInput,
  ): Promise<Connection> {
    if (input.version !== undefined && input.version !== current.version) {
      throw new SpinError(
        'request.conflict',
        `connection ${current.name} is at version ${current.version}, not ${input.version}`,
      );
    }
    const m = manifestFor(current.processor);
    const changed: string[] = [];
    const patch: Parameters<typeof credentialsRepository.updateConnection>[2] = {};
    if (input.name !== undefined && input.name !== current.name) {
      patch.name = input.name;
      changed.push('name');
    }
    if (input.config !== undefined) {
      patch.config = checkConfig(m, input.config);
      changed.push('config');
    }
    if (input.secrets !== undefined && Object.keys(input.secrets).length) {
      const values = this.connectionSecretValues(current);
      const given = Object.fromEntries(
        Object.entries(input.secrets).filter((e): e is [string, string] => e[1] !== null),
      );
      checkSecretFields(m, given);
      for (const [field, value] of Object.entries(input.secrets)) {
        if (value === null) delete values[field];
        else values[field] = value;
        changed.push(`secrets.${field}`);
      }
      Object.assign(patch, this.sealFields(values));
    }
    if (input.isDefault !== undefined && input.isDefault !== current.isDefault) {
      patch.isDefault = input.isDefault;
      changed.push('isDefault');
    }
    return this.write('connection', input.name ?? current.name, async (tx) => {
      if (patch.isDefault) {
        await credentialsRepository.clearDefault(tx, current.workspaceId, m.id, current.id);
      }
      const row = await credentialsRepository.updateConnection(
        tx,
        current.id,
        patch,
        current.version,
      );
      if (!row) {
        throw new SpinError('request.conflict', `connection ${current.name} changed meanwhile`);
      }
      await this.audit.append(
        {
          actor: actorId(grant.actor),
          workspaceId: current.workspaceId,
          action: 'connection.updated',
          subject: row.id,
          data: { name: row.name, processor: row.processor, changed },
        },
        tx,
      );
      return presentConnection(row);
    });
  }

  async deleteConnection(grant: Grant, row: ConnectionRow): Promise<void> {
    await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      if (!(await credentialsRepository.deleteConnection(tx, row.id))) {
        throw new SpinError('connection.not_found', 'connection not found');
      }
      await this.audit.append(
        {
          actor: actorId(grant.actor),
          workspaceId: row.workspaceId,
          action: 'connection.deleted',
          subject: row.id,
          data: { name: row.name, processor: row.processor },
        },
        tx,
      );
    });
  }

  /** Secrets usable in the grant's workspace (its own and inherited), without values. */
  async listSecrets(grant: Grant): Promise<Secret[]> {
    const rows = await credentialsRepository.secretsIn(this.db, grant.ancestry);
    return byAncestry(rows, grant.ancestry).map(presentSecret);
  }

  async createSecret(grant: Grant, input: CreateSecretInput): Promise<Secret> {
    const valueEnc = this.sealValue(input.ref, input.value);
    return this.write('secret', input.name, async (tx) => {
      const row = await credentialsRepository.insertSecret(tx, {
        id: newId('sec'),
        workspaceId: grant.workspaceId,
        name: input.name,
        description: input.description,
        storeType: input.ref.storeType,
        ref: input.ref,
        valueEnc,
        createdBy: grant.actor.userId,
      });
      await this.audit.append(
        {
          actor: actorId(grant.actor),
          workspaceId: grant.workspaceId,
          action: 'secret.created',
          subject: row.id,
          data: { name: row.name, storeType: row.storeType, valueSet: valueEnc !== null },
        },
        tx,
      );
      return presentSecret(row);
    });
  }

  getSecret(row: SecretRow): Secret {
    return presentSecret(row);
  }

  async updateSecret(grant: Grant, current: SecretRow, input: UpdateSecretInput): Promise<Secret> {
    const ref = input.ref ?? (current.ref as SecretRef);
    const changed: string[] = [];
    const patch: Parameters<typeof credentialsRepository.updateSecret>[2] = {};
    if (input.description !== undefined) {
      patch.description = input.description;
      changed.push('description');
    }
    if (input.ref !== undefined) {
      patch.ref = input.ref;
      patch.storeType = input.ref.storeType;
      changed.push('ref');
      // a value belongs to spin_store only: moving the secret elsewhere drops it
      if (input.ref.storeType !== 'spin_store') patch.valueEnc = null;
    }
    if (input.value !== undefined) {
      patch.valueEnc = this.sealValue(ref, input.value);
      changed.push('value');
    }
    const row = await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const saved = await credentialsRepository.updateSecret(tx, current.id, patch);
      if (!saved) throw new SpinError('secret.not_found', 'secret not found');
      await this.audit.append(
        {
          actor: actorId(grant.actor),
          workspaceId: current.workspaceId,
          action: 'secret.updated',
          subject: saved.id,
          data: { name: saved.name, storeType: saved.storeType, changed },
        },
        tx,
      );
      return saved;
    });
    return presentSecret(row);
  }

  async deleteSecret(grant: Grant, row: SecretRow): Promise<void> {
    await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      if (!(await credentialsRepository.deleteSecret(tx, row.id))) {
        throw new SpinError('secret.not_found', 'secret not found');
      }
      await this.audit.append(
        {
          actor: actorId(grant.actor),
          workspaceId: row.workspaceId,
          action: 'secret.deleted',
          subject: row.id,
          data: { name: row.name, storeType: row.storeType },
        },
        tx,
      );
    });
  }

  /** The ciphertext of a value, which only `spin_store` secrets may have. */
  private sealValue(ref: SecretRef, value: string | undefined): string | null {
    if (value === undefined) return null;
    if (ref.storeType !== 'spin_store') {
      throw new SpinError(
        'request.invalid',
        `a ${ref.storeType} secret has no value at the server; only spin_store secrets store one`,
      );
    }
    return this.masterKey.encrypt(value);
  }

  /** Run a write in a transaction; a name already used in the workspace is `*.name_taken`. */
  private async write<T>(
    kind: 'connection' | 'secret',
    name: string,
    fn: (tx: Db) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.db.transaction((t) => fn(t as unknown as Db));
    } catch (err) {
      const constraint = uniqueViolationOf(err);
      if (constraint === null) throw err;
      if (constraint.endsWith('_default_idx')) {
        throw new SpinError(
          'request.conflict',
          'another default connection of this type was set meanwhile',
        );
      }
      throw new SpinError(
        kind === 'connection' ? 'connection.name_taken' : 'secret.name_taken',
        `this workspace already has a ${kind} named "${name}"`,
      );
    }
  }
}
