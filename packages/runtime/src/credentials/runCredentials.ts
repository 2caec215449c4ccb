import type { Logger } from 'pino';
import {
  SpinError,
  renderTemplatesDeep,
  type BundleConnection,
  type BundleSecret,
  type ProgramClaims,
} from '@spin/protocol';
import type { ConnectionSource } from '../processors/processorRun.js';
import type { SecretSource } from '../processors/templateBinder.js';
import type { ProcessorConnection, ProcessorFactory } from '../processors/types.js';
import type { CredentialStore } from './credentialStore.js';
import { SecretMasker } from './secretMasker.js';
import type { VaultClient } from './vaultClient.js';

/** What resolving needs from the runtime. */
export interface CredentialResolverDeps {
  store: CredentialStore;
  /** The runtime process's environment (`runtime_env` secrets; never handed to kernels). */
  env: NodeJS.ProcessEnv;
  /** Vault, when `SPIN_VAULT_ADDR` is set. */
  vault: VaultClient | null;
  factories: Readonly<Record<string, ProcessorFactory>>;
  logger: Logger;
  /** Learns every value resolved in any session (the runtime's log lines are masked with it). */
  logMasker?: SecretMasker;
}

/**
 * Resolves, at execution time, exactly what a program's `claims.credentials` names (protocol
 * `ProgramCredentialsSchema`) and nothing else: secrets by id from the held bundle, their values
 * by store type — `spin_store` from the bundle, `runtime_env` from the runtime's environment,
 * `vault` from Vault — and the program's connection by id, its `{{secret:NAME}}` fields
 * resolved too. Every value resolved for a session joins that session's {@link SecretMasker}.
 */
export class CredentialResolver {
  private readonly maskers = new Map<string, SecretMasker>();

  constructor(private readonly deps: CredentialResolverDeps) {}

  /** Version of the held bundle (0: none). */
  get version(): number {
    return this.deps.store.version;
  }

  /** The masker of session `sid`: every secret value resolved for it so far. */
  maskerFor(sid: string): SecretMasker {
    let m = this.maskers.get(sid);
    if (!m) {
      m = new SecretMasker();
      this.maskers.set(sid, m);
    }
    return m;
  }

  private async value(secret: BundleSecret, name: string): Promise<string> {
    const ref = secret.ref;
    switch (ref.storeType) {
      case 'spin_store':
        if (secret.value === undefined) {
          throw new SpinError('secret.unavailable', `secret "${name}" has no value stored`);
        }
        return secret.value;
      case 'runtime_env': {
        const v = this.deps.env[ref.env];
        if (v === undefined || v === '') {
          throw new SpinError(
            'secret.unavailable',
            `secret "${name}" reads ${ref.env} from the runtime's environment, which is not set`,
          );
        }
        return v;
      }
      case 'vault':
        if (!this.deps.vault) {
          throw new SpinError(
            'secret.unavailable',
            `secret "${name}" is in Vault, but this runtime has no SPIN_VAULT_ADDR`,
          );
        }
        return this.deps.vault.read(ref.vault);
    }
  }

  /** Resolve one secret by id into `masker`; a failure is returned, not thrown. */
  private async resolveSecret(
    name: string,
    id: string,
    masker: SecretMasker,
  ): Promise<{ value: string } | { error: SpinError }> {
    const secret = this.deps.store.secret(id);
    if (!secret) {
      return {
        error: new SpinError(
          'secret.unavailable',
          `secret "${name}" is not in this runtime's credentials (deleted, or not shared with its workspace)`,
        ),
      };
    }
    try {
      const value = await this.value(secret, name);
      masker.add(name, value);
      this.deps.logMasker?.add(name, value);
      return { value };
    } catch (err) {
      const error =
        err instanceof SpinError
          ? err
          : new SpinError('secret.unavailable', `secret "${name}" could not be read`);
      this.deps.logger.warn(
        { secret: name, storeType: secret.ref.storeType, code: error.code, reason: error.message },
        'secret not resolved',
      );
      return { error };
    }
  }

  private async resolveConnection(
    bc: BundleConnection,
    masker: SecretMasker,
  ): Promise<ProcessorConnection> {
    const factory = Object.hasOwn(this.deps.factories, bc.processor)
      ? this.deps.factories[bc.processor]
      : undefined;
    if (!factory) {
      throw new SpinError('processor.not_found', `no processor "${bc.processor}" on this runtime`);
    }
    // `{{secret:NAME}}` in fields: the connection's own references, resolved to ids by the server
    const names = new Set<string>();
    const collect = (ref: { kind: string; name?: string; raw: string }) => {
      if (ref.kind !== 'secret') {
        throw new SpinError(
          'secret.unavailable',
          `connection "${bc.name}": ${ref.raw} cannot be used in a connection field`,
        );
      }
      names.add(ref.name!);
      return '';
    };
    renderTemplatesDeep({ config: bc.config, secrets: bc.secrets }, collect);
    const values = new Map<string, string>();
    for (const name of names) {
      const id = bc.secretIds[name];
      if (!id) {
        throw new SpinError(
          'secret.unavailable',
          `connection "${bc.name}" uses secret "${name}", which its workspace does not have`,
        );
      }
      const r = await this.resolveSecret(name, id, masker);
      if ('error' in r) throw r.error;
      values.set(name, r.value);
    }
    const render = (ref: { kind: string; name?: string }) => values.get(ref.name!)!;
    const config = renderTemplatesDeep(bc.config, render);
    const secrets = renderTemplatesDeep(bc.secrets, render);
    const { manifest } = factory;
    const parsedConfig = manifest.configSchema.safeParse(config);
    if (!parsedConfig.success) {
      const issue = parsedConfig.error.issues[0]!;
      throw new SpinError(
        'processor.connection_required',
        `connection "${bc.name}": config.${issue.path.join('.')}: ${issue.message}`,
      );
    }
    const parsedSecrets = manifest.secretsSchema.safeParse(secrets);
    if (!parsedSecrets.success) {
      // names the field only: a schema's message could quote the value
      throw new SpinError(
        'processor.connection_required',
        `connection "${bc.name}": secrets.${parsedSecrets.error.issues[0]!.path.join('.')} is not valid`,
      );
    }
    return {
      name: bc.name,
      config: parsedConfig.data as Record<string, unknown>,
      secrets: parsedSecrets.data as Record<string, unknown>,
    };
  }

  /**
   * Resolve what `claims` names, before the program runs. Throws `credentials.missing` when the
   * program needs a newer bundle than the runtime holds (the client relays it first); a secret
   * that cannot be resolved fails only where the cell uses it.
   */
  async prepare(claims: ProgramClaims): Promise<RunCredentials> {
    const masker = this.maskerFor(claims.sid);
    const c = claims.credentials;
    const run = new RunCredentials(masker);
    if (!c) return run;
    const needs = c.connection !== null || Object.keys(c.secrets).length > 0;
    if (needs && c.bundleVersion > this.version) {
      throw new SpinError(
        'credentials.missing',
        `this cell needs credentials version ${c.bundleVersion}, but the runtime holds version ${this.version}; the client relays the newer bundle before the program`,
      );
    }
    this.deps.logger.debug(
      {
        jti: claims.jti,
        credentialsVersion: this.version,
        secrets: Object.keys(c.secrets),
        connection: c.connection?.name ?? null,
      },
      'resolving credentials for a run',
    );
    for (const [name, id] of Object.entries(c.secrets)) {
      const r = await this.resolveSecret(name, id, masker);
      if ('error' in r) run.errors.set(name, r.error);
      else run.values.set(name, r.value);
    }
    if (c.connection && claims.program.kind === 'processor') {
      const bc = this.deps.store.connection(c.connection.id);
      if (!bc) {
        run.connection = {
          name: c.connection.name,
          error: new SpinError(
            'connection.not_found',
            `connection "${c.connection.name}" is not available on this runtime (it was deleted, or the runtime's credentials are out of date)`,
          ),
        };
      } else if (bc.processor !== claims.program.processor) {
        run.connection = {
          name: c.connection.name,
          error: new SpinError(
            'connection.not_found',
            `connection "${c.connection.name}" is a ${bc.processor} connection, not ${claims.program.processor}`,
          ),
        };
      } else {
        try {
          run.connection = {
            name: c.connection.name,
            value: await this.resolveConnection(bc, masker),
          };
        } catch (err) {
          run.connection = {
            name: c.connection.name,
            error:
              err instanceof SpinError
                ? err
                : new SpinError('connection.not_found', 'the connection could not be resolved'),
          };
        }
      }
    }
    return run;
  }
}

/**
 * The credentials resolved for one run: a {@link SecretSource} for `{{secret:NAME}}` and the
 * Python helper, and the program's connection.
 */
export class RunCredentials implements SecretSource {
  readonly values = new Map<string, string>();
  readonly errors = new Map<string, SpinError>();
  connection:
    | { name: string; value: ProcessorConnection; error?: undefined }
    | { name: string; error: SpinError }
    | null = null;

  constructor(readonly masker: SecretMasker) {}

  /** The value of a secret the program names; throws saying why one is not available. */
  get(name: string): string {
    const v = this.values.get(name);
    if (v !== undefined) return v;
    throw (
      this.errors.get(name) ??
      new SpinError(
        'secret.unavailable',
        `this cell may not use secret "${name}": it is not one the cell was compiled with (does it exist in the notebook's workspace?)`,
      )
    );
  }

  /** The program's connection from the bundle, else the runtime's own by name. */
  connections(fallback: ConnectionSource | undefined): ConnectionSource {
    return {
      get: (name, processor) => {
        const c = this.connection;
        if (c && c.name === name) {
          if (c.error) throw c.error;
          return c.value;
        }
        return fallback?.get(name, processor);
      },
    };
  }

  /** What the kernel's `SpinSecrets` may hand out in this run (values, and why others fail). */
  kernelPayload(): { values: Record<string, string>; errors: Record<string, string> } {
    return {
      values: Object.fromEntries(this.values),
      errors: Object.fromEntries([...this.errors].map(([n, e]) => [n, `${e.code}: ${e.message}`])),
    };
  }
}
