import { readFileSync, statSync } from 'node:fs';
import { ConnectionNameSchema } from '@spin/protocol';
import { z } from 'zod';
import type { ConnectionSource } from '../processors/processorRun.js';
import type { ProcessorConnection, ProcessorFactory } from '../processors/types.js';

/**
 * A secret field of a runtime-defined connection: the value itself (only in a file no one else
 * may read) or `{ "env": "NAME" }`, an environment variable of the runtime, so the file can be
 * kept in version control or a config map while the value comes from the deployment's secrets.
 */
const SecretValueSchema = z.union([
  z.string(),
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
]);

/** One connection defined by the runtime's operator. */
const RuntimeConnectionSchema = z.strictObject({
  name: ConnectionNameSchema,
  /** The processor id (manifest `id`) the connection is for (its folder name under processors/). */
  type: z.string().min(1).max(64),
  config: z.record(z.string(), z.unknown()).default({}),
  secrets: z.record(z.string(), SecretValueSchema).default({}),
});

/** The runtime's connections file (`SPIN_CONNECTIONS_FILE`). */
export const RuntimeConnectionsFileSchema = z.strictObject({
  connections: z.array(RuntimeConnectionSchema).max(1000),
});

/** A connection as the runtime reports it: never its config or secrets. */
export interface ConnectionSummary {
  name: string;
  type: string;
}

/**
 * Connections the runtime's operator defines in a JSON file beside the runtime — the way a
 * kubeconfig or `~/.pgpass` lives with the tool that uses it, so the server never holds them
 * (DESIGN.md §1 "Credentials": credentials stay at the runtime). Each entry is validated with its
 * processor's manifest (`configSchema`, `secretsSchema`) when the runtime starts, so a typo
 * stops the start with the file, the connection and the field named, not the first run.
 */
export class RuntimeConnections implements ConnectionSource {
  private constructor(
    private readonly byName: ReadonlyMap<string, ProcessorConnection & { type: string }>,
  ) {}

  /** No connections (no file configured or present). */
  static empty(): RuntimeConnections {
    return new RuntimeConnections(new Map());
  }

  /**
   * Read and validate `file`. Throws an Error naming the problem: unreadable or malformed JSON,
   * an unknown processor, a duplicate name, a field its manifest refuses, an environment
   * variable that is not set, or literal secrets in a file that other users may read.
   */
  static load(
    file: string,
    factories: Readonly<Record<string, ProcessorFactory>>,
    env: NodeJS.ProcessEnv,
  ): RuntimeConnections {
    const fail = (msg: string): never => {
      throw new Error(`invalid connections file ${file}: ${msg}`);
    };
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      return fail(`cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return fail(`not JSON (${(err as Error).message})`);
    }
    const parsed = RuntimeConnectionsFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return fail(`${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    }
    const worldReadable = (statSync(file).mode & 0o077) !== 0;
    const byName = new Map<string, ProcessorConnection & { type: string }>();
    for (const c of parsed.data.connections) {
      const where = `connection "${c.name}"`;
      if (byName.has(c.name)) fail(`${where} is defined twice`);
      const factory = Object.hasOwn(factories, c.type) ? factories[c.type] : undefined;
      if (!factory) {
        fail(`${where}: no processor "${c.type}" (known: ${Object.keys(factories).join(', ')})`);
      }
      const { manifest } = factory!;
      const config = manifest.configSchema.safeParse(c.config);
      if (!config.success) {
        const issue = config.error.issues[0]!;
        fail(`${where}: config.${issue.path.join('.')}: ${issue.message}`);
      }
      const secrets: Record<string, string> = {};
      for (const [field, value] of Object.entries(c.secrets)) {
        if (typeof value === 'string') {
          if (worldReadable) {
            fail(
              `${where}: secrets.${field} is written in a file other users may read; ` +
                `chmod 600 it, or use { "env": "NAME" }`,
            );
          }
          secrets[field] = value;
        } else {
          const v = env[value.env];
          if (v === undefined) fail(`${where}: secrets.${field}: ${value.env} is not set`);
          secrets[field] = v!;
        }
      }
      const checked = manifest.secretsSchema.safeParse(secrets);
      if (!checked.success) {
        // The message names the field only: a schema's message could quote the value.
        fail(`${where}: secrets.${checked.error.issues[0]!.path.join('.')} is not valid`);
      }
      byName.set(c.name, {
        name: c.name,
        type: c.type,
        config: config.data as Record<string, unknown>,
        secrets: checked.data as Record<string, unknown>,
      });
    }
    return new RuntimeConnections(byName);
  }

  get(name: string, processor: string): ProcessorConnection | undefined {
    const c = this.byName.get(name);
    if (!c || c.type !== processor) return undefined;
    return { name: c.name, config: c.config, secrets: c.secrets };
  }

  /** Names and types, for `/v1/identity` and the UI's connection pickers. */
  list(): ConnectionSummary[] {
    return [...this.byName.values()].map((c) => ({ name: c.name, type: c.type }));
  }

  /** Every secret value, so logs and outputs can be checked against them. */
  secretValues(): string[] {
    return [...this.byName.values()].flatMap((c) =>
      Object.values(c.secrets).filter((v): v is string => typeof v === 'string' && v !== ''),
    );
  }
}
