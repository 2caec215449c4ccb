import { useMemo, useState } from 'react';
import type { AnyProcessorManifest } from '@spin/protocol';
import { SchemaForm } from '../forms/SchemaForm';
import { fieldErrors, schemaFields } from '../forms/schemaFields';

/**
 * The connection form of a processor, drawn from its manifest: plain fields from
 * `configSchema`, write-only password fields from `secretsSchema`. Until connections can be
 * stored (issue 9) it checks the values against the manifest and says what is wrong.
 */
export function ConnectionForm({ manifest }: { manifest: AnyProcessorManifest }) {
  const config = useMemo(() => schemaFields(manifest.configSchema), [manifest]);
  const secrets = useMemo(() => schemaFields(manifest.secretsSchema, { secret: true }), [manifest]);
  const [values, setValues] = useState<{
    config: Record<string, unknown>;
    secrets: Record<string, unknown>;
  }>({
    config: {},
    secrets: {},
  });
  const [checked, setChecked] = useState<null | { ok: boolean }>(null);
  const errors = checked
    ? {
        config: fieldErrors(manifest.configSchema, values.config),
        secrets: fieldErrors(manifest.secretsSchema, values.secrets),
      }
    : { config: {}, secrets: {} };
  const empty = config.length === 0 && secrets.length === 0;
  return (
    <form
      className="connection-form"
      data-testid={`connection-form-${manifest.id}`}
      data-fields={[...config, ...secrets].map((f) => f.key).join(',')}
      onSubmit={(e) => {
        e.preventDefault();
        setChecked({
          ok:
            manifest.configSchema.safeParse(values.config).success &&
            manifest.secretsSchema.safeParse(values.secrets).success,
        });
      }}
    >
      {empty ? (
        <p className="muted" data-testid="connection-none">
          {manifest.name} cells need no connection.
        </p>
      ) : (
        <>
          <SchemaForm
            fields={config}
            value={values.config}
            errors={errors.config}
            testId={`connection-config-${manifest.id}`}
            onChange={(config) => setValues((v) => ({ ...v, config }))}
          />
          {secrets.length > 0 && (
            <>
              <p className="muted">
                Secret fields are write-only: once saved they are never shown again.
              </p>
              <SchemaForm
                fields={secrets}
                value={values.secrets}
                errors={errors.secrets}
                testId={`connection-secrets-${manifest.id}`}
                onChange={(secrets) => setValues((v) => ({ ...v, secrets }))}
              />
            </>
          )}
          <button type="submit" className="btn" data-testid={`connection-check-${manifest.id}`}>
            Check settings
          </button>
          {checked?.ok && (
            <span className="form-ok" role="status">
              These settings are valid.
            </span>
          )}
        </>
      )}
    </form>
  );
}
