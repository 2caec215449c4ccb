import {
  parseTemplate,
  processorManifest,
  PROCESSOR_MANIFESTS,
  SpinError,
  type AnyProcessorManifest,
  type Connection,
  type ConnectionSummary,
  type Secret,
  type SecretRef,
} from '@spin/protocol';
import type { z } from 'zod';
import type { ConnectionRow, SecretRow } from '../repositories/credentialsRepository.js';

/**
 * A connection's fields checked against its processor's manifest (DESIGN.md §3): plain
 * `config` by `configSchema`, write-only fields by `secretsSchema`. A write-only field may
 * instead be exactly one `{{secret:NAME}}` reference, resolved at the runtime.
 */

/** The manifest of `processor`, or `processor.not_found` naming the known ones. */
export function manifestFor(processor: string): AnyProcessorManifest {
  const m = processorManifest(processor);
  if (!m) {
    throw new SpinError(
      'processor.not_found',
      `unknown processor "${processor}"; this server knows ${Object.keys(PROCESSOR_MANIFESTS).sort().join(', ')}`,
    );
  }
  return m;
}

/** Issue paths and messages only: zod messages never quote the value, so no secret leaks. */
function issuesText(err: z.ZodError): string {
  return err.issues
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Validate plain config (unknown fields refused, defaults applied). */
export function checkConfig(
  m: AnyProcessorManifest,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const parsed = m.configSchema.strict().safeParse(config);
  if (!parsed.success) {
    throw new SpinError(
      'request.invalid',
      `${m.name} connection config: ${issuesText(parsed.error)}`,
    );
  }
  return parsed.data as Record<string, unknown>;
}

/** Whether a value is a single `{{secret:NAME}}` reference and nothing else. */
export function isSecretReference(value: string): boolean {
  const parts = parseTemplate(value);
  return parts.length === 1 && parts[0]!.kind === 'ref' && parts[0]!.ref.kind === 'secret';
}

/**
 * Validate write-only values: each field must be one of the manifest's `secretsSchema`
 * fields; literal values must pass its schema; references are accepted as they are.
 */
export function checkSecretFields(
  m: AnyProcessorManifest,
  values: Record<string, string>,
): Record<string, string> {
  const known = Object.keys(m.secretsSchema.shape);
  const unknown = Object.keys(values).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new SpinError(
      'request.invalid',
      `${m.name} connections have no write-only field ${unknown.map((k) => `"${k}"`).join(', ')}` +
        (known.length ? ` (fields: ${known.join(', ')})` : ' (it has no write-only fields)'),
    );
  }
  const literal = Object.fromEntries(
    Object.entries(values).filter(([, v]) => !isSecretReference(v)),
  );
  const parsed = m.secretsSchema.partial().safeParse(literal);
  if (!parsed.success) {
    throw new SpinError(
      'request.invalid',
      `${m.name} connection write-only fields: ${issuesText(parsed.error)}`,
    );
  }
  return values;
}

/** Presenter: a connection as owners and editors see it (write-only fields: `{ set }`). */
export function presentConnection(row: ConnectionRow): Connection {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    processor: row.processor,
    config: row.config,
    secrets: Object.fromEntries(row.secretFields.map((f) => [f, { set: true }])),
    isDefault: row.isDefault,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Presenter: name and type only (agents, viewers, lists for running cells). */
export function presentConnectionSummary(row: ConnectionRow): ConnectionSummary {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    processor: row.processor,
    isDefault: row.isDefault,
  };
}

/** Presenter: a secret without its value. */
export function presentSecret(row: SecretRow): Secret {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    description: row.description,
    ref: { ...row.ref, storeType: row.storeType } as SecretRef,
    value: { set: row.valueEnc !== null },
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
